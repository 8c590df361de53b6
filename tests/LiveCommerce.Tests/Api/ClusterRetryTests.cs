using System.Net;
using LiveCommerce.Api.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace LiveCommerce.Tests.Api;

/// <summary>Which failures of a grain call the front door repeats, for which endpoints, and what the caller sees.</summary>
public sealed class TransientClusterErrorsTests
{
    [Fact]
    public void A_connection_that_could_not_be_opened_or_a_rejected_message_never_reached_a_grain()
    {
        Assert.Equal(ClusterFailure.NotDelivered, TransientClusterErrors.Classify(new ConnectionFailedException("Unable to connect to S127.0.0.1:30001:0")));
        Assert.Equal(ClusterFailure.NotDelivered, TransientClusterErrors.Classify(new GatewayTooBusyException()));
    }

    [Fact]
    public void A_silo_that_died_under_the_call_or_a_timeout_leaves_it_undecided()
    {
        // SiloUnavailableException is a rejection by type, but also what a caller gets when the silo died after the
        // call arrived: it must not be taken for "never delivered".
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(new SiloUnavailableException("The target silo became unavailable")));
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(new TimeoutException("Response did not arrive on time")));
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(new AggregateException(new TimeoutException())));
        Assert.Equal(ClusterFailure.NotDelivered, TransientClusterErrors.Classify(new OrleansException("wrapped", new ConnectionFailedException("refused"))));
        // The runtime's own give-up on a message (seen as a 500 in a silo-kill drill), unlike a cancelled request.
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(
            new OperationCanceledException("Message expired before placement could complete for grain order/o-1.")));
        Assert.Equal(ClusterFailure.None, TransientClusterErrors.Classify(new OperationCanceledException("The request was aborted.", new CancellationToken(true))));
        // A runtime timeout during failover, as a silo sends it (seen as 500s in a silo-kill drill), and as thrown.
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(
            new Orleans.Serialization.CodecNotFoundException("Could not find a codec for type Polly.Timeout.TimeoutRejectedException.")));
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(new Polly.Timeout.TimeoutRejectedException()));
        Assert.Equal(ClusterFailure.None, TransientClusterErrors.Classify(
            new Orleans.Serialization.CodecNotFoundException("Could not find a codec for type LiveCommerce.Contracts.Orders.OrderView.")));
        // A second activation's save met the version the other wrote: that activation is dropped, a repeat reaches the survivor.
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(new Orleans.Storage.InconsistentStateException("version 7, loaded 6")));
    }

    [Fact]
    public void Refusals_bugs_and_database_errors_are_not_cluster_failures()
    {
        Assert.Equal(ClusterFailure.None, TransientClusterErrors.Classify(LiveCommerce.Contracts.Common.DomainException.Conflict("x", "no")));
        Assert.Equal(ClusterFailure.None, TransientClusterErrors.Classify(new InvalidOperationException("a bug")));
        Assert.Equal(ClusterFailure.None, TransientClusterErrors.Classify(new OperationCanceledException()));
    }

    [Theory]
    [InlineData(RetrySafety.Idempotent, ClusterFailure.NotDelivered, true)]
    [InlineData(RetrySafety.Idempotent, ClusterFailure.Indeterminate, true)]
    [InlineData(RetrySafety.NotIdempotent, ClusterFailure.NotDelivered, true)]
    [InlineData(RetrySafety.NotIdempotent, ClusterFailure.Indeterminate, false)]
    [InlineData(RetrySafety.Idempotent, ClusterFailure.None, false)]
    public void A_request_is_repeated_only_when_it_never_ran_or_running_it_twice_is_harmless(RetrySafety safety, ClusterFailure failure, bool retried) =>
        Assert.Equal(retried, TransientClusterErrors.ShouldRetry(safety, failure));
}

/// <summary>The retry filter and pipeline on a real ASP.NET Core pipeline, with endpoints that fail like a grain call.</summary>
public sealed class ClusterRetryFilterTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private readonly Dictionary<string, int> _calls = [];

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration[$"{ClusterRetryOptions.Section}:BaseDelay"] = "00:00:00.001";
        builder.Configuration[$"{ClusterRetryOptions.Section}:MaxDelay"] = "00:00:00.005";
        builder.Configuration[$"{ClusterRetryOptions.Section}:MaxRetries"] = "4";
        builder.Configuration[$"{ClusterRetryOptions.Section}:GatewayLossGrace"] = "00:00:00.200";
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddClusterRetry();
        _app = builder.Build();
        _app.UseExceptionHandler();
        var group = _app.MapGroup("/t").WithClusterRetry();
        // Each endpoint fails its first `failures` calls with the given exception, then succeeds.
        group.MapPost("/idempotent", () => Run("idempotent", 2, () => new TimeoutException())).RetrySafe();
        group.MapPost("/keyed", () => Run("keyed", 2, () => new SiloUnavailableException("died"))).RetrySafe(RetrySafety.IdempotentWithKey);
        group.MapPost("/comment", () => Run("comment", 1, () => new TimeoutException()));
        group.MapPost("/comment-undelivered", () => Run("comment-undelivered", 1, () => new ConnectionFailedException("refused")));
        group.MapGet("/read", () => Run("read", 100, () => new SiloUnavailableException("down for good")));
        group.MapPost("/refused", () => Run("refused", 100, () => LiveCommerce.Contracts.Common.DomainException.Conflict("x", "no"))).RetrySafe();
        // Their first call hangs like a call whose answer was to come from a silo that died; later calls answer at once.
        group.MapPost("/repeat-aware", (HttpContext http) =>
            Run("repeat-aware", 1, () => new TimeoutException()) is var _ ? Results.Ok(new { repeat = ClusterRetryFilter.IsRepeat(http) }) : null).RetrySafe();
        group.MapPost("/hangs-idempotent", () => Hang("hangs-idempotent")).RetrySafe();
        group.MapPost("/hangs-comment", () => Hang("hangs-comment"));
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    private IResult Run(string name, int failures, Func<Exception> failure)
    {
        int n;
        lock (_calls) n = _calls[name] = _calls.GetValueOrDefault(name) + 1;
        if (n <= failures) throw failure();
        return Results.Ok(new { calls = n });
    }

    private readonly TaskCompletionSource _firstHangReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstHangStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<IResult> Hang(string name)
    {
        int n;
        lock (_calls) n = _calls[name] = _calls.GetValueOrDefault(name) + 1;
        if (n == 1)
        {
            _firstHangStarted.TrySetResult();
            await _firstHangReleased.Task;
        }
        return Results.Ok(new { calls = n });
    }

    private int Calls(string name) { lock (_calls) return _calls.GetValueOrDefault(name); }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task An_idempotent_request_is_repeated_through_timeouts_until_it_succeeds()
    {
        var response = await _http.PostAsync("/t/idempotent", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, Calls("idempotent"));
    }

    [Fact]
    public async Task A_keyed_request_is_repeated_only_when_it_carries_its_idempotency_key()
    {
        var unkeyed = await _http.PostAsync("/t/keyed", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unkeyed.StatusCode);
        Assert.Equal(1, Calls("keyed"));

        using var keyed = new HttpRequestMessage(HttpMethod.Post, "/t/keyed");
        keyed.Headers.Add(RequestHelpers.IdempotencyHeader, "k-1");
        var response = await _http.SendAsync(keyed);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, Calls("keyed"));
    }

    [Fact]
    public async Task A_non_idempotent_request_that_may_have_run_is_not_repeated_and_answers_503_with_retry_after()
    {
        var response = await _http.PostAsync("/t/comment", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, Calls("comment"));
        Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("may or may not have taken effect", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_non_idempotent_request_that_never_reached_a_grain_is_repeated()
    {
        var response = await _http.PostAsync("/t/comment-undelivered", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Calls("comment-undelivered"));
    }

    [Fact]
    public async Task The_retries_are_bounded_then_the_caller_gets_a_503()
    {
        var response = await _http.GetAsync("/t/read");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(5, Calls("read")); // the first attempt and MaxRetries = 4
    }

    [Fact]
    public async Task The_endpoint_knows_when_it_runs_again_for_the_same_request()
    {
        var response = await _http.PostAsync("/t/repeat-aware", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"repeat\":true", await response.Content.ReadAsStringAsync());
        Assert.Contains("\"repeat\":false", await (await _http.PostAsync("/t/repeat-aware", null)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_refusal_is_answered_at_once_never_repeated()
    {
        var response = await _http.PostAsync("/t/refused", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(1, Calls("refused"));
    }

    [Fact]
    public async Task A_retry_safe_request_stuck_when_a_gateway_is_lost_is_given_up_after_the_grace_and_repeated()
    {
        var signal = _app.Services.GetRequiredService<GatewayLossSignal>();
        var response = _http.PostAsync("/t/hangs-idempotent", null);
        await _firstHangStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        signal.OnGatewayCountChanged(3, 2); // a gateway came back: nothing is given up
        signal.OnGatewayCountChanged(1, 2); // a gateway was lost
        var answered = await response.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Contains("\"calls\":2", await answered.Content.ReadAsStringAsync());
        Assert.Equal(1, signal.Losses);
        _firstHangReleased.SetResult();
    }

    [Fact]
    public async Task A_request_that_may_not_run_twice_keeps_waiting_for_its_own_answer_after_a_gateway_loss()
    {
        var signal = _app.Services.GetRequiredService<GatewayLossSignal>();
        var response = _http.PostAsync("/t/hangs-comment", null);
        await _firstHangStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        signal.OnGatewayCountChanged(1, 2);
        await Task.Delay(600); // three grace periods: it must not have been given up
        Assert.False(response.IsCompleted);
        _firstHangReleased.SetResult();

        var answered = await response.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(1, Calls("hangs-comment"));
    }
}

public sealed class GatewayLossSignalTests
{
    [Fact]
    public async Task An_attempt_that_answers_within_the_grace_after_a_loss_keeps_its_answer()
    {
        var signal = new GatewayLossSignal();
        var answer = new TaskCompletionSource<int>();
        var guarded = signal.GuardAsync(() => answer.Task, TimeSpan.FromSeconds(30));
        signal.OnGatewayCountChanged(1, 2);
        answer.SetResult(7);
        Assert.Equal(7, await guarded.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_loss_before_the_attempt_started_does_not_touch_it_and_an_unanswered_one_is_given_up_after_a_later_loss()
    {
        var signal = new GatewayLossSignal();
        signal.OnGatewayCountChanged(1, 2);
        var never = new TaskCompletionSource<int>();
        var guarded = signal.GuardAsync(() => never.Task, TimeSpan.FromMilliseconds(50));
        await Task.Delay(200);
        Assert.False(guarded.IsCompleted);

        signal.OnGatewayCountChanged(0, 1);
        var error = await Assert.ThrowsAsync<GatewayLostException>(() => guarded.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(error));
        Assert.Equal(2, signal.Losses);
    }

    [Fact]
    public async Task An_attempt_cancelled_under_the_caller_is_an_undecided_cluster_failure_unless_the_caller_went_away()
    {
        var signal = new GatewayLossSignal();
        // Orleans cancels a call whose gateway connection closed: seen as a 500 in a silo-kill drill.
        var cancelled = new TaskCompletionSource<int>();
        var guarded = signal.GuardAsync(() => cancelled.Task, TimeSpan.FromSeconds(30));
        cancelled.SetCanceled();
        var error = await Assert.ThrowsAsync<GatewayLostException>(() => guarded.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ClusterFailure.Indeterminate, TransientClusterErrors.Classify(error));

        // The caller's own cancellation stays what it is.
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        var mine = new TaskCompletionSource<int>();
        mine.SetCanceled(aborted.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signal.GuardAsync(() => mine.Task, TimeSpan.FromSeconds(30), aborted.Token));
    }

    [Fact]
    public async Task An_answer_that_races_the_loss_is_kept()
    {
        var signal = new GatewayLossSignal();
        for (var i = 0; i < 200; i++)
        {
            var answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var guarded = signal.GuardAsync(() => answer.Task, TimeSpan.FromSeconds(30));
            var loss = Task.Run(() => signal.OnGatewayCountChanged(1, 2));
            answer.SetResult(i);
            await loss;
            Assert.Equal(i, await guarded.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task A_zero_grace_turns_the_early_give_up_off()
    {
        var signal = new GatewayLossSignal();
        var answer = new TaskCompletionSource<int>();
        var guarded = signal.GuardAsync(() => answer.Task, TimeSpan.Zero);
        signal.OnGatewayCountChanged(1, 2);
        await Task.Delay(200);
        Assert.False(guarded.IsCompleted);
        answer.SetResult(1);
        Assert.Equal(1, await guarded.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
