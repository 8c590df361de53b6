using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Rooms;

/// <summary>
/// One viewer's Server-Sent Events response: the start (a snapshot, or the deltas it missed), then the ticks of its
/// queue, heartbeats while the room is quiet, and the end of the stream when the room ends or the viewer is dropped.
/// Every event is formatted by the framework's <see cref="SseFormatter"/>; a delta is formatted once per front door and
/// its bytes are shared by every connection. Whatever a connection has queued when it wakes is written together and
/// flushed once, so a viewer that fell behind catches up with one socket write instead of one per tick (one write and
/// flush per event was the front door's largest cost with 10,000 viewers of a room: docs/BENCHMARKS.md).
/// </summary>
public sealed class RoomEventStream(RoomFeeds feeds, ViewerConnection connection, RoomChannelCatchUp start, long resumedFrom)
    : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    /// <summary>How long a browser waits before it reconnects (sent with the snapshot).</summary>
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    public int? StatusCode => StatusCodes.Status200OK;

    public async Task ExecuteAsync(HttpContext http)
    {
        try
        {
            // The headers the framework's ServerSentEventsResult sends: nothing may cache, compress or buffer the stream.
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache,no-store";
            http.Response.Headers.Pragma = "no-cache";
            http.Response.Headers.ContentEncoding = "identity";
            http.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
            await WriteAsync(http.Response.BodyWriter, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The viewer went away.
        }
        finally
        {
            feeds.Disconnect(connection);
        }
    }

    internal async Task WriteAsync(PipeWriter body, CancellationToken aborted)
    {
        var json = feeds.Json;
        var feed = connection.Feed;
        long last;
        if (start.Snapshot is { } snapshot)
        {
            body.Write(SnapshotEvent(snapshot, json));
            last = snapshot.Sequence;
            if (snapshot.Status == RoomStatus.Ended) { await body.FlushAsync(); return; }
        }
        else
        {
            last = resumedFrom;
            foreach (var tick in start.Ticks!.Select(feed.Prepare))
            {
                body.Write(tick.Event.Span);
                last = tick.Sequence;
                if (Ends(tick)) { await body.FlushAsync(); return; }
            }
        }
        if (!await FlushAsync(body)) return;

        var reader = connection.Ticks;
        // The viewer going away ends its queue: one registration per connection, none per tick (a cancellable wait
        // for each tick registered and allocated per viewer per tick: profiled).
        await using var onAbort = aborted.UnsafeRegister(static c => ((ViewerConnection)c!).Close(), connection);
        // False once the queue has ended: the viewer fell too far behind and was dropped (its EventSource reconnects
        // and resumes), or went away.
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var tick))
            {
                if (tick.IsHeartbeat)
                {
                    body.Write(Format(new SseItem<string>(JsonSerializer.Serialize(new { sequence = last }, json), "heartbeat")));
                    continue;
                }
                if (tick.Sequence <= last) continue; // already in the snapshot or catch-up
                if (tick.Sequence != last + 1)
                {
                    // A gap (the channel moved, or the tick raced the snapshot): what was missed, or a fresh snapshot.
                    var catchUp = await feed.CatchUpAsync(last);
                    if (catchUp.Snapshot is { } fresh)
                    {
                        body.Write(SnapshotEvent(fresh, json));
                        last = fresh.Sequence;
                        if (fresh.Status == RoomStatus.Ended) { await body.FlushAsync(); return; }
                        continue;
                    }
                    foreach (var missed in catchUp.Ticks!.Select(feed.Prepare))
                    {
                        if (missed.Sequence <= last) continue;
                        body.Write(missed.Event.Span);
                        last = missed.Sequence;
                        if (Ends(missed)) { await body.FlushAsync(); return; }
                    }
                    if (tick.Sequence != last + 1) continue;
                }
                body.Write(tick.Event.Span);
                // One write in 32, spread over connections: a listened histogram takes a lock per measurement,
                // and every write contended for it (profiled).
                if (((tick.Sequence + connection.Salt) & 31) == 0)
                    FeedMetrics.WriteLag.Record(System.Diagnostics.Stopwatch.GetElapsedTime(tick.ArrivedAt).TotalMilliseconds);
                last = tick.Sequence;
                if (Ends(tick)) { await body.FlushAsync(); return; }
            }
            if (!await FlushAsync(body)) return;
        }
    }

    /// <summary>False once the viewer's side of the connection is gone.</summary>
    private static async ValueTask<bool> FlushAsync(PipeWriter body)
    {
        var flushed = await body.FlushAsync();
        return !flushed.IsCompleted && !flushed.IsCanceled;
    }

    private static bool Ends(FeedTick tick) => tick.Tick.Deltas.Any(d => d is StatusChanged { Status: RoomStatus.Ended });

    private static byte[] SnapshotEvent(RoomChannelSnapshot snapshot, JsonSerializerOptions json) =>
        Format(new SseItem<string>(JsonSerializer.Serialize(snapshot, json), "snapshot")
        {
            EventId = snapshot.Sequence.ToString(CultureInfo.InvariantCulture),
            ReconnectionInterval = Retry,
        });

    /// <summary>One event in the wire format, written by the framework's formatter.</summary>
    public static byte[] Format(SseItem<string> item)
    {
        using var buffer = new MemoryStream(item.Data.Length + 64);
        // An item already in hand and a memory stream: the formatter never waits, so this completes here.
        var written = SseFormatter.WriteAsync(new[] { item }.ToAsyncEnumerable(), buffer);
        if (!written.IsCompleted) throw new InvalidOperationException("Formatting an event into memory did not complete synchronously.");
        written.GetAwaiter().GetResult();
        return buffer.ToArray();
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(RoomChannelSnapshot), ["text/event-stream"]));
}
