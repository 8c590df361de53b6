using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Api;

/// <summary>Request bodies are bounded (64 KB by default): larger ones are a 413 problem and change nothing.</summary>
public sealed class BodyLimitTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    /// <summary>A valid profile padded with an unknown property to <paramref name="bytes"/>.</summary>
    private static string Profile(int bytes) =>
        "{\"displayName\":\"Li\",\"homeCity\":\"Hangzhou\",\"padding\":\"" + new string('x', bytes) + "\"}";

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_changes_nothing()
    {
        var client = await api.ClientAs("body-big", "streamer");
        var response = await client.PutAsync("/v1/streamers/body-big", new StringContent(Profile(100 * 1024), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(413, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/streamers/body-big")).StatusCode);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_and_changes_nothing()
    {
        var client = await api.ClientAs("body-chunked", "streamer");
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Profile(100 * 1024))));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, "/v1/streamers/body-chunked") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/streamers/body-chunked")).StatusCode);
    }

    [Fact]
    public async Task An_anonymous_oversized_body_is_refused_before_authentication()
    {
        var response = await api.CreateClient().PostAsync("/v1/orders", new StringContent(Profile(200 * 1024), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Bodies_under_the_limit_and_chunked_bodies_still_work()
    {
        var client = await api.ClientAs("body-small", "streamer");
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/v1/streamers/body-small", new StringContent(Profile(32 * 1024), Encoding.UTF8, "application/json"))).StatusCode);
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Profile(10))));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, "/v1/streamers/body-small") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }
}
