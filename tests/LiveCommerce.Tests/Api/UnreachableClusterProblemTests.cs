using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// While a silo dies, the front door's client meets every way Orleans says "not reachable"; each is a 503 the caller
/// may retry with the same Idempotency-Key, never a 500.
/// </summary>
public sealed class UnreachableClusterProblemTests
{
    public static TheoryData<string> Failures => ["connection", "silo", "timeout"];

    private static Exception Make(string kind) => kind switch
    {
        "connection" => new ConnectionFailedException("Unable to connect to endpoint S127.0.0.1:30001:0."),
        "silo" => new SiloUnavailableException("silo S127.0.0.1:11112 is dead"),
        _ => new TimeoutException("response did not arrive on time"),
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_cluster_that_cannot_be_reached_is_a_503_problem(string kind)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new ProblemExceptionHandler(services.GetRequiredService<Microsoft.AspNetCore.Http.IProblemDetailsService>(),
            Microsoft.Extensions.Options.Options.Create(new ClusterRetryOptions { RetryAfterSeconds = 3 }), NullLogger<ProblemExceptionHandler>.Instance);

        Assert.True(await handler.TryHandleAsync(context, Make(kind), CancellationToken.None));

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("3", context.Response.Headers.RetryAfter.ToString());
        context.Response.Body.Position = 0;
        var problem = await JsonSerializer.DeserializeAsync<JsonElement>(context.Response.Body);
        Assert.Equal("The cluster is not reachable right now.", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_unexpected_exception_is_left_to_the_500_handler()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        var handler = new ProblemExceptionHandler(services.GetRequiredService<Microsoft.AspNetCore.Http.IProblemDetailsService>(),
            Microsoft.Extensions.Options.Options.Create(new ClusterRetryOptions { RetryAfterSeconds = 3 }), NullLogger<ProblemExceptionHandler>.Instance);
        Assert.False(await handler.TryHandleAsync(context, new InvalidOperationException("a bug"), CancellationToken.None));
    }
}
