using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace LiveCommerce.LoadTest;

public readonly record struct Reply(HttpStatusCode Status, JsonElement Body, string? Error)
{
    public bool Ok => Error is null;
    public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var c) ? c.GetString() : null;
}

/// <summary>HTTP calls to the front door, timed and classified: failures by kind, business answers as outcomes.</summary>
public sealed class Api(Options options, HttpClient http, Tokens tokens, Metrics metrics)
{
    public Tokens Tokens => tokens;

    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1024,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        EnableMultipleHttp2Connections = true,
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Sends a request. <paramref name="start"/> is when the operation was due (open loop) or began; latency counts
    /// from there. <paramref name="expected"/> statuses count as success; others are errors unless listed as outcomes.
    /// <paramref name="bearer"/> replaces the caller's minted token (an app's OAuth token).
    /// </summary>
    public async Task<Reply> Send(string op, HttpMethod method, string path, (string Subject, string Role) caller, object? body = null,
        string? idempotencyKey = null, string? clientIp = null, long? start = null, HttpStatusCode[]? expected = null,
        Func<Reply, string?>? outcome = null, bool record = true, string? bearer = null)
    {
        var begun = start ?? Stopwatch.GetTimestamp();
        var token = bearer ?? await tokens.For(caller.Subject, caller.Role);
        Reply reply;
        try
        {
            using var response = await SendToAnyFrontDoor(() =>
            {
                var request = new HttpRequestMessage(method, options.NextUrl() + path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
                // Every simulated user comes from its own address, as behind a real load balancer (per-IP quotas, IP risk rules).
                request.Headers.Add("X-Forwarded-For", clientIp ?? ClientIpOf(caller.Subject));
                if (body is not null) request.Content = JsonContent.Create(body);
                return request;
            });
            var text = await response.Content.ReadAsStringAsync();
            var json = text.Length > 0 && text[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : default;
            var ok = expected is null ? response.IsSuccessStatusCode : expected.Contains(response.StatusCode);
            reply = new Reply(response.StatusCode, json, ok ? null : $"{(int)response.StatusCode} {Code(json) ?? response.ReasonPhrase}");
            if (!ok && outcome?.Invoke(reply) is { } businessAnswer) reply = reply with { Error = null };
        }
        catch (TaskCanceledException) { reply = new Reply(0, default, "timeout"); }
        catch (HttpRequestException e) { reply = new Reply(0, default, "connection: " + (e.HttpRequestError.ToString())); }
        if (record) metrics.Record(op, begun, reply.Error, reply.Ok && outcome?.Invoke(reply) is { } o ? o : null);
        return reply;
    }

    /// <summary>
    /// A connection that could not be opened sent nothing: like a load balancer, mark that front door down and send the
    /// request to another one. A request that fails after it was sent is not sent again (it is lost with its front door).
    /// </summary>
    private async Task<HttpResponseMessage> SendToAnyFrontDoor(Func<HttpRequestMessage> create)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            try { return await http.SendAsync(request); }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError
                && e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }
                && options.Urls.Length > 1 && attempt < options.Urls.Length)
            {
                options.MarkDown(request.RequestUri!.GetLeftPart(UriPartial.Authority));
            }
        }
    }

    /// <summary>Brings front doors marked down back into the round robin once their readiness answers 200.</summary>
    public async Task WatchFrontDoorsAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stop); } catch (OperationCanceledException) { return; }
            foreach (var url in options.DownUrls.ToList())
            {
                try
                {
                    using var ready = await http.GetAsync(url + "/health/ready", stop);
                    if (ready.IsSuccessStatusCode) options.MarkUp(url);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            }
        }
    }

    /// <summary>A stable private address per user id.</summary>
    public static string ClientIpOf(string subject)
    {
        var h = (uint)subject.GetHashCode(StringComparison.Ordinal);
        return $"10.{(h >> 16) & 255}.{(h >> 8) & 255}.{(h & 250) + 1}";
    }

    private static string? Code(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty("code", out var c) ? c.GetString() : null;
}
