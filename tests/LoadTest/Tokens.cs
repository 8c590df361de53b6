using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LiveCommerce.LoadTest;

/// <summary>Bearer tokens: minted locally with the cluster's HS256 key, or fetched from the embedded profile's dev endpoint.</summary>
public sealed class Tokens(Options options, HttpClient http)
{
    private readonly ConcurrentDictionary<(string, string), string> _cache = new();
    private byte[]? _key;

    public async Task InitializeAsync()
    {
        if (options.DevTokens) return;
        var key = options.JwtKey ?? await File.ReadAllTextAsync(options.JwtKeyFile ?? Path.Combine(ClusterControl.StateDir(options), "jwt.key"));
        _key = Encoding.UTF8.GetBytes(key.Trim());
    }

    public async ValueTask<string> For(string subject, string role)
    {
        if (_cache.TryGetValue((subject, role), out var token)) return token;
        token = _key is not null ? Mint(subject, role) : await FetchAsync(subject, role);
        _cache[(subject, role)] = token;
        return token;
    }

    private string Mint(string subject, string role)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = subject, ["role"] = role, ["iss"] = "livecommerce", ["aud"] = "livecommerce-api",
            ["iat"] = now, ["nbf"] = now - 60, ["exp"] = now + 8 * 3600,
        }));
        var signature = B64(HMACSHA256.HashData(_key!, Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    private async Task<string> FetchAsync(string subject, string role)
    {
        var response = await http.PostAsJsonAsync(options.Url + "/v1/dev/tokens", new { subject, role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }
}
