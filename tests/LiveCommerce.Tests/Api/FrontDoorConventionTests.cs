using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Api;

/// <summary>The conventions every endpoint follows: health, auth, problem details, status codes.</summary>
public sealed class FrontDoorConventionTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Health_endpoints_report_live_and_ready()
    {
        var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("cluster").GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_document_lists_the_versioned_routes()
    {
        var doc = await api.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/v1/streamers/{streamerId}", out _));
    }

    [Fact]
    public async Task Calls_without_a_token_are_401_with_problem_details()
    {
        var response = await api.CreateClient().GetAsync("/v1/streamers/s-any");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_rejected()
    {
        var client = api.CreateClient();
        // Header and payload of a well-formed token, signature of a different key.
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJhZG1pbiIsImlzcyI6ImxpdmVjb21tZXJjZSIsImF1ZCI6ImxpdmVjb21tZXJjZS1hcGkifQ.c2lnbmF0dXJlLW9mLWFub3RoZXIta2V5LXRoYXQtaXMtbm90LW91cnM");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/streamers/s-any")).StatusCode);
    }

    [Fact]
    public async Task A_streamer_cannot_write_another_streamers_profile()
    {
        var client = await api.ClientAs("conv-streamer-a", "streamer");
        var response = await client.PutAsJsonAsync("/v1/streamers/conv-streamer-b", new { displayName = "B", homeCity = "Hangzhou" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var other = await api.ClientAs("conv-streamer-b", "streamer");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/v1/streamers/conv-streamer-b")).StatusCode);
    }

    [Fact]
    public async Task A_buyer_token_cannot_use_a_streamer_endpoint()
    {
        var client = await api.ClientAs("conv-buyer", "buyer");
        var response = await client.PutAsJsonAsync("/v1/streamers/conv-buyer", new { displayName = "B", homeCity = "Hangzhou" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_and_changes_nothing()
    {
        var client = await api.ClientAs("conv-json", "streamer");
        var response = await client.PutAsync("/v1/streamers/conv-json",
            new StringContent("{\"displayName\": \"Li", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/streamers/conv-json")).StatusCode);
    }

    [Theory]
    [InlineData("", "Hangzhou", "displayName")]
    [InlineData("Li", "", "homeCity")]
    [InlineData("Li\u0007", "Hangzhou", "displayName")]
    public async Task Invalid_fields_are_named_in_the_400(string name, string city, string field)
    {
        var client = await api.ClientAs("conv-fields", "streamer");
        var response = await client.PutAsJsonAsync("/v1/streamers/conv-fields", new { displayName = name, homeCity = city });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/streamers/conv-fields")).StatusCode);
    }

    [Theory]
    [InlineData("has%20space")]
    [InlineData("semi%3Bcolon")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Bad_ids_in_the_route_are_400(string id)
    {
        var client = await api.ClientAs("conv-ids", "admin");
        var response = await client.GetAsync($"/v1/streamers/{id}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Profile_creation_is_idempotent_and_a_different_profile_conflicts()
    {
        var client = await api.ClientAs("conv-idem", "streamer");
        var first = await client.PutAsJsonAsync("/v1/streamers/conv-idem", new { displayName = "Li", homeCity = "Hangzhou" });
        var again = await client.PutAsJsonAsync("/v1/streamers/conv-idem", new { displayName = "Li", homeCity = "Hangzhou" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(
            (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("createdAt").GetString(),
            (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("createdAt").GetString());

        var conflict = await client.PutAsJsonAsync("/v1/streamers/conv-idem", new { displayName = "Wang", homeCity = "Hangzhou" });
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        var read = await client.GetFromJsonAsync<JsonElement>("/v1/streamers/conv-idem");
        Assert.Equal("Li", read.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task Dev_tokens_reject_unknown_roles()
    {
        var response = await api.CreateClient().PostAsJsonAsync("/v1/dev/tokens", new { subject = "x", role = "root" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_is_for_admins_only()
    {
        var buyer = await api.ClientAs("conv-dash", "buyer");
        Assert.Equal(HttpStatusCode.Forbidden, (await buyer.GetAsync("/dashboard/")).StatusCode);
        var admin = await api.ClientAs("conv-admin", "admin");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/dashboard/")).StatusCode);
    }

    [Fact]
    public async Task A_browser_session_cookie_authorizes_reads_but_never_writes()
    {
        var admin = await api.ClientAs("conv-cookie-admin", "admin");
        var session = await admin.PostAsync("/v1/auth/browser-session", null);
        Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
        var cookie = session.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        var browser = api.CreateClient();
        browser.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard/")).StatusCode);
        var write = await browser.PutAsJsonAsync("/v1/streamers/conv-cookie-admin", new { displayName = "X", homeCity = "Y" });
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
    }
}
