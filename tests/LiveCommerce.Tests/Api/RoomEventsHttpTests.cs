using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using LiveCommerce.Api.Rooms;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Api;

/// <summary>GET /v1/rooms/{roomId}/events on the real front door: snapshot, deltas, resume, end of stream; pin and unpin.</summary>
public sealed class RoomEventsHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private sealed class EventStream(HttpResponseMessage response, IAsyncEnumerator<SseItem<string>> events) : IAsyncDisposable
    {
        public HttpResponseMessage Response => response;

        public async Task<SseItem<string>> NextAsync()
        {
            var next = events.MoveNextAsync().AsTask();
            Assert.True(await Task.WhenAny(next, Task.Delay(Wait)) == next, "no event in time");
            Assert.True(await next, "the stream ended");
            return events.Current;
        }

        /// <summary>Reads events until one satisfies <paramref name="match"/> (heartbeats and unrelated ticks skipped).</summary>
        public async Task<SseItem<string>> UntilAsync(Func<SseItem<string>, bool> match)
        {
            while (true)
            {
                var item = await NextAsync();
                if (match(item)) return item;
            }
        }

        public async Task<bool> EndsAsync()
        {
            while (await events.MoveNextAsync().AsTask().WaitAsync(Wait)) { }
            return true;
        }

        public async ValueTask DisposeAsync()
        {
            await events.DisposeAsync();
            response.Dispose();
        }
    }

    private async Task<EventStream> OpenAsync(string roomId, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/rooms/{roomId}/events");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await api.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = await response.Content.ReadAsStreamAsync();
        return new EventStream(response, SseParser.Create(stream).EnumerateAsync().GetAsyncEnumerator());
    }

    private static JsonElement Data(SseItem<string> item) => JsonDocument.Parse(item.Data).RootElement;

    private static IEnumerable<JsonElement> Deltas(SseItem<string> item, string type) =>
        item.EventType == "delta" ? Data(item).GetProperty("deltas").EnumerateArray().Where(d => d.GetProperty("type").GetString() == type) : [];

    private static bool HasStock(SseItem<string> item, int left) => Deltas(item, "stock").Any(d => d.GetProperty("stockLeft").GetInt32() == left);

    [Fact]
    public async Task An_anonymous_viewer_gets_a_snapshot_then_the_stock_delta_of_an_order_then_the_end_of_the_room()
    {
        var shop = await HttpShop.OpenAsync(api, stock: 20, livePrice: 1500);
        await using var viewer = await OpenAsync(shop.RoomId);
        var snapshot = await viewer.NextAsync();
        Assert.Equal("snapshot", snapshot.EventType);
        var body = Data(snapshot);
        Assert.Equal(long.Parse(snapshot.EventId!), body.GetProperty("sequence").GetInt64());
        Assert.Equal("live", body.GetProperty("status").GetString());
        var item = body.GetProperty("shelf").EnumerateArray().Single();
        Assert.Equal((20, 1500L), (item.GetProperty("stockLeft").GetInt32(), item.GetProperty("livePrice").GetInt64()));

        var buyer = await shop.BuyerAsync("b1");
        await HttpShop.Read(await shop.PlaceAsync(buyer, "k1", quantity: 2), HttpStatusCode.Created);
        var delta = await viewer.UntilAsync(e => HasStock(e, 18));
        Assert.True(long.Parse(delta.EventId!) > long.Parse(snapshot.EventId!));
        var stock = Deltas(delta, "stock").Single();
        Assert.True(stock.GetProperty("roomSequence").GetInt64() > body.GetProperty("roomSequence").GetInt64());
        Assert.DoesNotContain(shop.Prefix + "-b1", delta.Data); // no buyer id on the wire

        await HttpShop.Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/pinned", new { productId = shop.ProductId }));
        var pinned = Deltas(await viewer.UntilAsync(e => Deltas(e, "pinned").Any()), "pinned").Single();
        Assert.Equal(shop.ProductId, pinned.GetProperty("productId").GetString());

        await HttpShop.Ok(shop.Streamer.PostAsync($"/v1/rooms/{shop.RoomId}/end", null));
        await viewer.UntilAsync(e => Deltas(e, "status").Any(d => d.GetProperty("status").GetString() == "ended"));
        Assert.True(await viewer.EndsAsync());
    }

    [Fact]
    public async Task A_viewer_resuming_with_Last_Event_ID_gets_the_missed_deltas_and_one_too_far_behind_gets_a_snapshot()
    {
        var shop = await HttpShop.OpenAsync(api, stock: 30);
        string lastSeen;
        await using (var viewer = await OpenAsync(shop.RoomId))
            lastSeen = (await viewer.NextAsync()).EventId!;

        // While the viewer is away: a sale and a price change.
        var buyer = await shop.BuyerAsync("b2");
        await HttpShop.Read(await shop.PlaceAsync(buyer, "k1", quantity: 1), HttpStatusCode.Created);
        await HttpShop.Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.ProductId}/price", new { livePrice = 8800 }));
        await using (var watcher = await OpenAsync(shop.RoomId))
            await watcher.UntilAsync(e => e.EventType == "snapshot" && Data(e).GetProperty("shelf")[0].GetProperty("livePrice").GetInt64() == 8800
                || Deltas(e, "price").Any());

        await using (var resumed = await OpenAsync(shop.RoomId, lastSeen))
        {
            var first = await resumed.NextAsync();
            Assert.Equal("delta", first.EventType); // no snapshot: the missed ticks, from the one after lastSeen
            Assert.Equal(long.Parse(lastSeen) + 1, long.Parse(first.EventId!));
            var seen = new List<SseItem<string>> { first };
            while (!seen.Any(e => Deltas(e, "price").Any())) seen.Add(await resumed.NextAsync());
            Assert.Contains(seen, e => HasStock(e, 29));
            Assert.Equal(seen.Select(e => long.Parse(e.EventId!)), seen.Select((_, i) => long.Parse(lastSeen) + 1 + i));
        }

        await using var stale = await OpenAsync(shop.RoomId, "1");
        var snapshot = await stale.NextAsync();
        Assert.Equal("snapshot", snapshot.EventType);
        var item = Data(snapshot).GetProperty("shelf")[0];
        Assert.Equal((29, 8800L), (item.GetProperty("stockLeft").GetInt32(), item.GetProperty("livePrice").GetInt64()));
    }

    [Fact]
    public async Task Viewers_see_commenters_under_per_room_handles_and_only_the_streamer_and_admins_see_buyer_ids()
    {
        var shop = await HttpShop.OpenAsync(api);
        var fan = await shop.BuyerAsync("fan");
        var other = await shop.BuyerAsync("other");
        var fanId = shop.Prefix + "-fan";
        foreach (var viewer in new[] { fan, other }) await HttpShop.Ok(viewer.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        await using var stream = await OpenAsync(shop.RoomId);
        await stream.NextAsync(); // snapshot
        Assert.Equal(HttpStatusCode.Accepted, (await fan.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "is it vegan?" })).StatusCode);
        var author = Deltas(await stream.UntilAsync(e => Deltas(e, "comment").Any()), "comment").Single().GetProperty("comment").GetProperty("author").GetString()!;

        static string? AuthorIn(JsonElement view) => view.GetProperty("recentComments").EnumerateArray()
            .Single(c => c.GetProperty("text").GetString() == "is it vegan?").GetProperty("viewerId").GetString();
        // Other viewers (the room view and a viewer joining) see the same handle the stream shows; the buyer id appears nowhere.
        foreach (var view in new[] { await HttpShop.Ok(other.GetAsync($"/v1/rooms/{shop.RoomId}")), await HttpShop.Ok(other.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null)),
                     await HttpShop.Ok(shop.Merchant.GetAsync($"/v1/rooms/{shop.RoomId}")) })
        {
            Assert.Equal(author, AuthorIn(view));
            Assert.DoesNotContain(fanId, view.GetRawText());
        }
        await using (var late = await OpenAsync(shop.RoomId))
        {
            var snapshot = await late.NextAsync();
            Assert.Equal(author, Data(snapshot).GetProperty("recentComments").EnumerateArray().Single().GetProperty("author").GetString());
            Assert.DoesNotContain(fanId, snapshot.Data);
        }
        // The streamer and admins moderate by buyer id (comment-bans/{viewerId}): they see it.
        Assert.Equal(fanId, AuthorIn(await HttpShop.Ok(shop.Streamer.GetAsync($"/v1/rooms/{shop.RoomId}"))));
        Assert.Equal(fanId, AuthorIn(await HttpShop.Ok(shop.Admin.GetAsync($"/v1/rooms/{shop.RoomId}"))));

        // In another room the same buyer has another handle: a handle does not follow a buyer around.
        var second = await HttpShop.OpenAsync(api);
        await HttpShop.Ok(fan.PostAsync($"/v1/rooms/{second.RoomId}/viewers", null));
        Assert.Equal(HttpStatusCode.Accepted, (await fan.PostAsJsonAsync($"/v1/rooms/{second.RoomId}/comments", new { text = "is it vegan?" })).StatusCode);
        var elsewhere = AuthorIn(await HttpShop.Ok(other.GetAsync($"/v1/rooms/{second.RoomId}")));
        Assert.StartsWith("viewer-", elsewhere);
        Assert.NotEqual(author, elsewhere);
    }

    [Fact]
    public async Task Comments_need_a_buyer_token_a_bad_key_changes_nothing_and_a_keyed_repeat_answers_the_same_comment()
    {
        var shop = await HttpShop.OpenAsync(api);
        var fan = await shop.BuyerAsync("fan");
        await HttpShop.Ok(fan.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        var url = $"/v1/rooms/{shop.RoomId}/comments";
        HttpRequestMessage Comment(string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { text = "is it vegan?" }) };
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            return request;
        }
        async Task<int> Comments() => (await HttpShop.Ok(shop.Streamer.GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("comments").GetInt32();

        // No token, a streamer's token, and a key that is not an id: refused, and nothing is counted. (A buyer comments as
        // the token's subject only: the body names no viewer.)
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient().SendAsync(Comment(null))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await shop.Streamer.SendAsync(Comment(null))).StatusCode);
        var badKey = await fan.SendAsync(Comment("not a key!"));
        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Equal("application/problem+json", badKey.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await Comments());

        var first = (await HttpShop.Read(await fan.SendAsync(Comment("c-1")), HttpStatusCode.Accepted)).GetProperty("id").GetString();
        var repeat = (await HttpShop.Read(await fan.SendAsync(Comment("c-1")), HttpStatusCode.Accepted)).GetProperty("id").GetString();
        Assert.Equal(first, repeat);
        Assert.Equal(1, await Comments());
    }

    [Fact]
    public async Task A_banned_commenter_is_refused_and_their_comments_are_taken_off_every_screen()
    {
        var shop = await HttpShop.OpenAsync(api);
        var spammer = await shop.BuyerAsync("spam");
        var fan = await shop.BuyerAsync("fan");
        foreach (var viewer in new[] { spammer, fan }) await HttpShop.Ok(viewer.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        await using var stream = await OpenAsync(shop.RoomId);
        await stream.NextAsync(); // snapshot

        Assert.Equal(HttpStatusCode.Accepted, (await spammer.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "buy followers at example.com" })).StatusCode);
        var posted = Deltas(await stream.UntilAsync(e => Deltas(e, "comment").Any()), "comment").Single();
        var author = posted.GetProperty("comment").GetProperty("author").GetString()!;
        Assert.DoesNotContain(shop.Prefix, author); // a handle, not the buyer id

        var other = await api.ClientAs("someone-else-s2", "streamer");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PutAsync($"/v1/rooms/{shop.RoomId}/comment-bans/{shop.Prefix}-spam", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await shop.Streamer.PutAsync($"/v1/rooms/{shop.RoomId}/comment-bans/{shop.Prefix}-spam", null)).StatusCode);
        var removed = Deltas(await stream.UntilAsync(e => Deltas(e, "commentsRemoved").Any()), "commentsRemoved").Single();
        Assert.Equal(author, removed.GetProperty("author").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await spammer.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "again" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await fan.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "love it" })).StatusCode);
        await stream.UntilAsync(e => Deltas(e, "comment").Any(c => c.GetProperty("comment").GetProperty("text").GetString() == "love it"));

        await using var late = await OpenAsync(shop.RoomId);
        var comments = Data(await late.NextAsync()).GetProperty("recentComments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.Equal(["love it"], comments);
        var view = await HttpShop.Ok(shop.Admin.GetAsync($"/v1/rooms/{shop.RoomId}"));
        Assert.DoesNotContain(view.GetProperty("recentComments").EnumerateArray(), c => c.GetProperty("text").GetString() == "buy followers at example.com");
    }

    [Fact]
    public async Task A_comment_deleted_by_the_streamer_or_an_admin_leaves_every_screen_and_the_snapshot()
    {
        var shop = await HttpShop.OpenAsync(api);
        var fan = await shop.BuyerAsync("fan");
        await HttpShop.Ok(fan.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        await using var stream = await OpenAsync(shop.RoomId);
        await stream.NextAsync(); // snapshot

        async Task<string> PostAsync(string text)
        {
            var receipt = await HttpShop.Read(await fan.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text }), HttpStatusCode.Accepted);
            var id = receipt.GetProperty("id").GetString()!;
            var shown = Deltas(await stream.UntilAsync(e => Deltas(e, "comment").Any(c => c.GetProperty("comment").GetProperty("id").GetString() == id)), "comment");
            Assert.Equal(text, shown.Single(c => c.GetProperty("comment").GetProperty("id").GetString() == id).GetProperty("comment").GetProperty("text").GetString());
            return id;
        }
        var rude = await PostAsync("rude words");
        var alsoRude = await PostAsync("more rude words");
        await PostAsync("nice words");

        // Neither another streamer nor a buyer (not even the author) may; anonymous is 401; an unknown id is 404.
        var url = $"/v1/rooms/{shop.RoomId}/comments/{rude}";
        Assert.Equal(HttpStatusCode.Forbidden, (await (await api.ClientAs("someone-else-s3", "streamer")).DeleteAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fan.DeleteAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient().DeleteAsync(url)).StatusCode);
        var unknown = await shop.Streamer.DeleteAsync($"/v1/rooms/{shop.RoomId}/comments/never-posted");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        Assert.Equal(HttpStatusCode.NoContent, (await shop.Streamer.DeleteAsync(url)).StatusCode);
        var deleted = Deltas(await stream.UntilAsync(e => Deltas(e, "commentDeleted").Any()), "commentDeleted").Single();
        Assert.Equal(rude, deleted.GetProperty("commentId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await shop.Streamer.DeleteAsync(url)).StatusCode); // gone: not twice
        Assert.Equal(HttpStatusCode.NoContent, (await shop.Admin.DeleteAsync($"/v1/rooms/{shop.RoomId}/comments/{alsoRude}")).StatusCode);
        await stream.UntilAsync(e => Deltas(e, "commentDeleted").Any(d => d.GetProperty("commentId").GetString() == alsoRude));

        await using var late = await OpenAsync(shop.RoomId);
        var comments = Data(await late.NextAsync()).GetProperty("recentComments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.Equal(["nice words"], comments);
        var view = await HttpShop.Ok(shop.Admin.GetAsync($"/v1/rooms/{shop.RoomId}"));
        Assert.Equal(["nice words"], view.GetProperty("recentComments").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Bad_ids_an_unknown_room_and_pinning_by_another_streamer_are_problems()
    {
        var client = api.CreateClient();
        var bad = await client.GetAsync("/v1/rooms/r1/events?lastEventId=-4");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var header = new HttpRequestMessage(HttpMethod.Get, "/v1/rooms/r1/events");
        header.Headers.Add("Last-Event-ID", "abc");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(header)).StatusCode);
        var unknown = await client.GetAsync("/v1/rooms/r-never-opened-" + Guid.NewGuid().ToString("N")[..6] + "/events");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var shop = await HttpShop.OpenAsync(api);
        var other = await api.ClientAs("someone-else-s", "streamer");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/pinned", new { productId = shop.ProductId })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/pinned", new { productId = shop.ProductId })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/pinned", new { productId = "not-on-shelf" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/pinned", new { })).StatusCode);
        var unpinned = await HttpShop.Ok(shop.Streamer.DeleteAsync($"/v1/rooms/{shop.RoomId}/pinned"));
        Assert.Equal(JsonValueKind.Null, unpinned.GetProperty("pinnedProductId").ValueKind);
    }
}

/// <summary>The front door's fan-out without a cluster: bounded queues, and a slow viewer dropped without slowing the others.</summary>
public sealed class RoomFeedFanOutTests
{
    private static RoomChannelTick Tick(long sequence) => new(sequence, [new StockChanged("p1", (int)(1000 - sequence), true, sequence)], DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task A_viewer_that_stops_reading_is_dropped_when_its_queue_is_full_and_the_others_get_every_tick()
    {
        var feed = new RoomFeed("r1", null!, TimeSpan.FromSeconds(10), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var slow = new ViewerConnection(feed, capacity: 4);
        var fast = new ViewerConnection(feed, capacity: 4);
        feed.Add(slow);
        feed.Add(fast);

        var received = new List<long>();
        for (var s = 1; s <= 100; s++)
        {
            await feed.OnTick(Tick(s));
            while (fast.Ticks.TryRead(out var tick)) received.Add(tick.Sequence);
        }

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), received);
        Assert.False(fast.Evicted);
        Assert.True(slow.Evicted);
        // The slow viewer keeps what was queued, then its stream ends (it reconnects and resumes from the last id it got).
        var queued = new List<long>();
        await foreach (var tick in slow.Ticks.ReadAllAsync()) queued.Add(tick.Sequence);
        Assert.Equal([1L, 2L, 3L, 4L], queued);
    }

    [Fact]
    public async Task Ticks_that_overtake_one_another_reach_viewers_in_channel_order_and_a_lost_one_is_not_waited_for_long()
    {
        // A hold far longer than the test: only the order and the depth can release a tick here.
        var feed = new RoomFeed("r1", null!, TimeSpan.FromSeconds(10), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            holdFor: TimeSpan.FromHours(1));
        var viewer = new ViewerConnection(feed, capacity: 64);
        feed.Add(viewer);
        foreach (var s in new long[] { 1, 3, 2, 2, 5, 4 }) await feed.OnTick(Tick(s));
        var received = new List<long>();
        while (viewer.Ticks.TryRead(out var tick)) received.Add(tick.Sequence);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], received); // in order, the duplicate dropped

        // Tick 6 is lost: 7..11 are held at most 4 deep, then let through in order (each connection then catches up).
        foreach (var s in new long[] { 7, 8, 9, 10 }) await feed.OnTick(Tick(s));
        Assert.False(viewer.Ticks.TryRead(out _));
        await feed.OnTick(Tick(11));
        received.Clear();
        while (viewer.Ticks.TryRead(out var tick)) received.Add(tick.Sequence);
        Assert.Equal([7L, 8L, 9L, 10L, 11L], received);

        feed.Stop();

        // A lone tick after a jump (a new channel activation) is let through by the hold timer, not kept for ever.
        var timed = new RoomFeed("r1", null!, TimeSpan.FromSeconds(10), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            holdFor: TimeSpan.FromMilliseconds(50));
        var other = new ViewerConnection(timed, capacity: 64);
        timed.Add(other);
        await timed.OnTick(Tick(1));
        await timed.OnTick(Tick(5_000_000));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(1, (await other.Ticks.ReadAsync(wait.Token)).Sequence);
        Assert.Equal(5_000_000, (await other.Ticks.ReadAsync(wait.Token)).Sequence);
        await timed.OnTick(Tick(5_000_001));
        Assert.True(other.Ticks.TryRead(out var next));
        Assert.Equal(5_000_001, next.Sequence);
        timed.Stop();
    }

    [Fact]
    public async Task A_tick_is_serialized_once_for_every_viewer_of_a_front_door_with_the_front_doors_json_settings()
    {
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        json.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        var feed = new RoomFeed("r1", null!, TimeSpan.FromSeconds(10), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, json);
        var a = new ViewerConnection(feed, 4);
        var b = new ViewerConnection(feed, 4);
        feed.Add(a);
        feed.Add(b);
        await feed.OnTick(new RoomChannelTick(7, [new StatusChanged(RoomStatus.Ended), new StockChanged("p1", 0, true, 3)], DateTimeOffset.UnixEpoch));
        Assert.True(a.Ticks.TryRead(out var first));
        Assert.True(b.Ticks.TryRead(out var second));
        Assert.Same(first, second);
        Assert.Same(first.Json, second.Json);
        var body = JsonDocument.Parse(first.Json).RootElement;
        Assert.Equal(7, body.GetProperty("sequence").GetInt64());
        Assert.Equal("status", body.GetProperty("deltas")[0].GetProperty("type").GetString());
        Assert.Equal("ended", body.GetProperty("deltas")[0].GetProperty("status").GetString());
        Assert.Equal("stock", body.GetProperty("deltas")[1].GetProperty("type").GetString());
        Assert.True(body.GetProperty("deltas")[1].GetProperty("soldOut").GetBoolean());
    }

    /// <summary>Counts the flushes of the response body (each one a socket write for a real connection).</summary>
    private sealed class CountingWriter(System.IO.Pipelines.PipeWriter inner) : System.IO.Pipelines.PipeWriter
    {
        public int Flushes;
        public override void Advance(int bytes) => inner.Advance(bytes);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask<System.IO.Pipelines.FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Flushes);
            return inner.FlushAsync(cancellationToken);
        }
        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }

    [Fact]
    public async Task A_viewer_behind_by_several_ticks_gets_them_in_one_write_and_a_quiet_room_sends_heartbeats()
    {
        var feeds = new RoomFeeds(null!, Microsoft.Extensions.Options.Options.Create(new RoomFeedOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RoomFeeds>.Instance);
        var feed = new RoomFeed("r1", null!, TimeSpan.FromSeconds(10), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, feeds.Json);
        var viewer = new ViewerConnection(feed, capacity: 64);
        feed.Add(viewer);
        // Five ticks queued before the stream first reads: they leave in one flush, after the (empty) resume's flush.
        for (var s = 1; s <= 5; s++) await feed.OnTick(Tick(s));
        var pipe = new System.IO.Pipelines.Pipe();
        var body = new CountingWriter(pipe.Writer);
        var stream = new RoomEventStream(feeds, viewer, new RoomChannelCatchUp([], null), resumedFrom: 0);
        var writing = stream.WriteAsync(body, CancellationToken.None);
        var events = SseParser.Create(pipe.Reader.AsStream()).EnumerateAsync().GetAsyncEnumerator();
        async Task<SseItem<string>> Next()
        {
            Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            return events.Current;
        }
        for (var s = 1; s <= 5; s++)
        {
            var item = await Next();
            Assert.Equal(("delta", s.ToString(System.Globalization.CultureInfo.InvariantCulture)), (item.EventType, item.EventId));
        }
        Assert.Equal(2, body.Flushes);

        // Ticks went out since the last beat: no heartbeat. Nothing since: every viewer gets one, with the last sequence.
        feed.BeatIfQuiet();
        await feed.OnTick(Tick(6));
        Assert.Equal("6", (await Next()).EventId);
        feed.BeatIfQuiet();
        feed.BeatIfQuiet();
        var beat = await Next();
        Assert.Equal("heartbeat", beat.EventType);
        Assert.Equal(6, JsonDocument.Parse(beat.Data).RootElement.GetProperty("sequence").GetInt64());

        // The viewer going away ends the stream.
        viewer.Close();
        await writing.WaitAsync(TimeSpan.FromSeconds(20));
        pipe.Writer.Complete();
        Assert.False(await events.MoveNextAsync());
    }
}
