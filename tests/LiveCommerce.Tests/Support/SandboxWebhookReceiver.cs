using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// A webhook receiver on 127.0.0.1 (HttpListener) that records every request and answers as the test scripts it:
/// injected failures (status codes), delays (past the sender's timeout) and acks that arrive too late, so the sender
/// delivers duplicates. <see cref="Behaviour"/> sees the 1-based number of the request and the request itself.
/// </summary>
public sealed class SandboxWebhookReceiver : IAsyncDisposable
{
    public sealed record Received(int Number, string Id, string Timestamp, string Signature, string Body, HeaderDictionary Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public string Type => Json.GetProperty("type").GetString()!;
    }

    public sealed record Answer(int Status, TimeSpan Delay = default);

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _count;

    public SandboxWebhookReceiver()
    {
        Port = FreePorts.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/hooks";
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>How to answer request n (1-based); 200 by default.</summary>
    public Func<int, Received, Answer> Behaviour { get; set; } = (_, _) => new Answer(200);

    public async Task<Received> WaitForAsync(Func<Received, bool> match, TimeSpan? timeout = null)
    {
        var deadline = Environment.TickCount64 + (long)(timeout ?? TimeSpan.FromSeconds(15)).TotalMilliseconds;
        while (true)
        {
            if (Requests.FirstOrDefault(match) is { } found) return found;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"no matching webhook arrived; got {Requests.Count} requests");
            await Task.Delay(25);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        var headers = new HeaderDictionary();
        foreach (string key in context.Request.Headers) headers[key] = context.Request.Headers[key];
        var received = new Received(Interlocked.Increment(ref _count), headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(),
            headers["webhook-signature"].ToString(), body, headers);
        var answer = Behaviour(received.Number, received);
        Requests.Enqueue(received);
        try
        {
            if (answer.Delay > TimeSpan.Zero) await Task.Delay(answer.Delay, _stop.Token);
            context.Response.StatusCode = answer.Status;
            if (answer.Status is >= 300 and < 400) context.Response.RedirectLocation = $"http://127.0.0.1:{Port}/elsewhere";
            context.Response.Close();
        }
        catch (Exception)
        {
            // The sender gave up (timeout) or the receiver is stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { await _loop; } catch (Exception) { }
    }
}
