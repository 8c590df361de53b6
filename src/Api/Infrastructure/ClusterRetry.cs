using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>What a failed grain call tells about whether the request reached a grain.</summary>
public enum ClusterFailure
{
    /// <summary>Not a cluster failure: a refusal, a bug, a database error. Never retried here.</summary>
    None,

    /// <summary>The request never reached a grain (no connection to a gateway, the message was rejected before delivery).</summary>
    NotDelivered,

    /// <summary>The request may have run: the silo died or stopped answering after the message left.</summary>
    Indeterminate,
}

/// <summary>Whether an endpoint's effect may be repeated when the cluster failed under it.</summary>
public enum RetrySafety
{
    /// <summary>Repeating it has no further effect (reads, and operations the grains deduplicate).</summary>
    Idempotent,

    /// <summary>Idempotent when the request carries an Idempotency-Key (the key names the resource), otherwise not.</summary>
    IdempotentWithKey,

    /// <summary>A repeat could take effect twice (a second comment): retried only when it surely never ran.</summary>
    NotIdempotent,
}

/// <summary>Endpoint metadata: how <see cref="ClusterRetryFilter"/> treats the endpoint.</summary>
public sealed record ClusterRetryMetadata(RetrySafety Safety);

/// <summary>
/// Sorts the exceptions a grain call raises when the cluster changes under it. A plain class so the rules are
/// unit-tested without a cluster.
/// </summary>
public static class TransientClusterErrors
{
    public static ClusterFailure Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var failure = e switch
            {
                // Also thrown when the silo holding the call died before answering (the call may have run); it
                // derives from the rejection below, so it is matched first.
                SiloUnavailableException => ClusterFailure.Indeterminate,
                // Rejections are answers to messages that were not delivered to a grain (target silo dead, gateway
                // shutting down, activation gone), and a connection that could not be opened sent nothing.
                OrleansMessageRejectionException or GatewayTooBusyException or Orleans.Runtime.Messaging.ConnectionFailedException
                    => ClusterFailure.NotDelivered,
                // No answer within the response timeout, or none a grace period after a gateway went away: the call may
                // still be running or may have run.
                TimeoutException or GatewayLostException => ClusterFailure.Indeterminate,
                // A grain's save met a newer version written by a second activation (a silo handing its grains over):
                // this activation is dropped and a repeat reaches the one that stays. What the call did before the save
                // may have stood, so only a request that is safe to repeat is repeated.
                Orleans.Storage.InconsistentStateException => ClusterFailure.Indeterminate,
                // The runtime gave up on the message itself ("Message expired before placement could complete", while
                // the cluster changed). Other cancellations are not cluster failures.
                OperationCanceledException when e.Message.StartsWith("Message expired", StringComparison.Ordinal) => ClusterFailure.Indeterminate,
                // The runtime's own timeouts during a failover (placement and directory calls run in Polly pipelines);
                // a silo sends them as "no codec" because the type is not serializable.
                Polly.Timeout.TimeoutRejectedException => ClusterFailure.Indeterminate,
                Orleans.Serialization.CodecNotFoundException when e.Message.Contains(typeof(Polly.Timeout.TimeoutRejectedException).FullName!, StringComparison.Ordinal)
                    => ClusterFailure.Indeterminate,
                _ => ClusterFailure.None,
            };
            if (failure != ClusterFailure.None) return failure;
            if (e is AggregateException { InnerExceptions.Count: 1 } a) return Classify(a.InnerExceptions[0]);
        }
        return ClusterFailure.None;
    }

    /// <summary>A request is repeated when it surely never ran, or when running it twice is harmless.</summary>
    public static bool ShouldRetry(RetrySafety safety, ClusterFailure failure) => failure switch
    {
        ClusterFailure.NotDelivered => true,
        ClusterFailure.Indeterminate => safety == RetrySafety.Idempotent,
        _ => false,
    };

    /// <summary>An endpoint's safety: its metadata, else reads are idempotent and everything else is not.</summary>
    public static RetrySafety SafetyOf(HttpContext http)
    {
        var declared = http.GetEndpoint()?.Metadata.GetMetadata<ClusterRetryMetadata>()?.Safety;
        var safety = declared ?? (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
            ? RetrySafety.Idempotent : RetrySafety.NotIdempotent);
        if (safety == RetrySafety.IdempotentWithKey)
            safety = string.IsNullOrEmpty(http.Request.Headers[RequestHelpers.IdempotencyHeader]) ? RetrySafety.NotIdempotent : RetrySafety.Idempotent;
        return safety;
    }
}

/// <summary>The front door's retry budget for grain calls (LiveCommerce:Api:ClusterRetry).</summary>
public sealed class ClusterRetryOptions
{
    public const string Section = "LiveCommerce:Api:ClusterRetry";

    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>First backoff; it doubles per retry (with jitter) up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// No retry starts later than this after the request's first attempt began. Long enough for a rolling restart: a
    /// request held by the stopping silo until its gateway closes, then repeated once a gateway loss makes it give up
    /// again (12 s left one such request failing in three drills).
    /// </summary>
    public TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Retry-After of the 503 answered when the cluster is not reachable and the request was not (or no longer) retried.</summary>
    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>
    /// How long a retry-safe request still waits for its answer after a gateway connection closed, before it is given
    /// up and repeated (<see cref="GatewayLossSignal"/>). Zero turns the early give-up off.
    /// </summary>
    public TimeSpan GatewayLossGrace { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>A retry-safe request was still unanswered <see cref="ClusterRetryOptions.GatewayLossGrace"/> after a gateway connection closed.</summary>
public sealed class GatewayLostException()
    : Exception("A gateway connection closed while the request was in flight and no answer came after it; its silo may have died.");

/// <summary>
/// Tells requests in flight that the front door lost a gateway connection: with one gateway per silo, that is how a
/// silo's death (or restart) shows first, seconds before the cluster declares it dead. Orleans does not fail a
/// client's calls whose answer was to come from that silo (directly, or forwarded by another gateway): they wait for
/// the 30 s response timeout. A retry-safe request therefore waits a short grace period after the loss, then is
/// given up and repeated, landing on a live activation once the silo is declared dead.
/// </summary>
public sealed class GatewayLossSignal
{
    private CancellationTokenSource _current = new();
    private long _losses;

    /// <summary>Cancelled at the next loss of a gateway connection.</summary>
    public CancellationToken NextLoss => Volatile.Read(ref _current).Token;

    /// <summary>Gateway connections lost since start (for tests and logs).</summary>
    public long Losses => Interlocked.Read(ref _losses);

    public void OnGatewayCountChanged(int connected, int previouslyConnected)
    {
        if (connected >= previouslyConnected) return;
        Interlocked.Increment(ref _losses);
        var lost = Interlocked.Exchange(ref _current, new CancellationTokenSource());
        // Off the connection's thread: cancelling resumes every waiting request.
        _ = Task.Run(lost.Cancel);
    }

    /// <summary>
    /// Runs the attempt; when a gateway is lost while it runs and it has not answered <paramref name="grace"/> after,
    /// throws <see cref="GatewayLostException"/> and leaves it to finish unobserved. Only for requests that may repeat:
    /// the abandoned attempt may still take effect.
    /// </summary>
    public async Task<T> GuardAsync<T>(Func<Task<T>> start, TimeSpan grace, CancellationToken requestAborted = default)
    {
        try
        {
            return await GuardCoreAsync(start, grace);
        }
        catch (OperationCanceledException) when (grace > TimeSpan.Zero && !requestAborted.IsCancellationRequested)
        {
            // Not the caller's cancellation: Orleans cancels a call whose gateway connection closed under it (a 500 in
            // a silo-kill drill). The call may have run: an undecided cluster failure, like a give-up after a loss.
            throw new GatewayLostException();
        }
    }

    private async Task<T> GuardCoreAsync<T>(Func<Task<T>> start, TimeSpan grace)
    {
        var loss = NextLoss;
        var attempt = start();
        if (attempt.IsCompleted || grace <= TimeSpan.Zero) return await attempt;
        try
        {
            return await attempt.WaitAsync(loss);
        }
        catch (OperationCanceledException) when (loss.IsCancellationRequested)
        {
            // A gateway went away: give the attempt its grace period below (which returns at once if it has just
            // finished: the loss and its answer can race).
        }
        try
        {
            return await attempt.WaitAsync(grace);
        }
        catch (TimeoutException) when (!attempt.IsCompleted)
        {
            _ = attempt.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw new GatewayLostException();
        }
    }
}

/// <summary>
/// Runs a retry-safe endpoint again when its grain call failed because a silo or gateway went away, inside a bounded
/// budget. The handler runs again whole (its arguments are already bound; a body it reads itself is rewound), so it
/// only retries while nothing was written to the response.
/// </summary>
public sealed class ClusterRetryFilter(ResiliencePipelineProvider<string> pipelines, GatewayLossSignal gatewayLoss, IOptions<ClusterRetryOptions> options)
    : IEndpointFilter
{
    public const string PipelineKey = "cluster-retry";
    internal static readonly ResiliencePropertyKey<HttpContext> Http = new("livecommerce.http");
    internal static readonly ResiliencePropertyKey<long> StartedAt = new("livecommerce.started");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var resilience = ResilienceContextPool.Shared.Get(http.RequestAborted);
        resilience.Properties.Set(Http, http);
        resilience.Properties.Set(StartedAt, Stopwatch.GetTimestamp());
        try
        {
            var state = new Attempt(context, next, gatewayLoss, options.Value.GatewayLossGrace);
            return await pipelines.GetPipeline(PipelineKey).ExecuteAsync(static async (ctx, state) =>
            {
                var body = state.Context.HttpContext.Request.Body;
                if (ctx.Properties.TryGetValue(Attempted, out _))
                {
                    if (body.CanSeek) body.Position = 0;
                    state.Context.HttpContext.Items[RepeatKey] = true;
                }
                ctx.Properties.Set(Attempted, true);
                // Only a request that may run twice is given up on while it may still be running.
                if (TransientClusterErrors.SafetyOf(state.Context.HttpContext) != RetrySafety.Idempotent) return await state.Next(state.Context);
                return await state.GatewayLoss.GuardAsync(() => state.Next(state.Context).AsTask(), state.Grace,
                    state.Context.HttpContext.RequestAborted);
            }, resilience, state);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    private sealed record Attempt(EndpointFilterInvocationContext Context, EndpointFilterDelegate Next, GatewayLossSignal GatewayLoss, TimeSpan Grace);

    private static readonly ResiliencePropertyKey<bool> Attempted = new("livecommerce.attempted");
    private static readonly object RepeatKey = new();

    /// <summary>Whether the endpoint runs for the second time or later for this request (an earlier attempt failed or was given up).</summary>
    public static bool IsRepeat(HttpContext http) => http.Items.ContainsKey(RepeatKey);

    /// <summary>The pipeline: retry on transient cluster failures the endpoint may repeat, exponential backoff, a time budget.</summary>
    public static void Configure(ResiliencePipelineBuilder builder, ClusterRetryOptions options, ILogger logger)
    {
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, options.MaxRetries),
            Delay = options.BaseDelay,
            MaxDelay = options.MaxDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context, args.Outcome.Exception, options)),
            OnRetry = args =>
            {
                var http = args.Context.Properties.GetValue(Http, null!);
                logger.LogInformation("Retrying {Method} {Path} (retry {Attempt}) after {Error}", http?.Request.Method, http?.Request.Path,
                    args.AttemptNumber + 1, args.Outcome.Exception?.GetType().Name);
                return ValueTask.CompletedTask;
            },
        });
    }

    private static bool ShouldRetry(ResilienceContext context, Exception? exception, ClusterRetryOptions options)
    {
        if (exception is null || options.MaxRetries <= 0) return false;
        if (!context.Properties.TryGetValue(Http, out var http) || http.Response.HasStarted || http.RequestAborted.IsCancellationRequested) return false;
        if (context.Properties.TryGetValue(StartedAt, out var started) && Stopwatch.GetElapsedTime(started) >= options.Budget) return false;
        return TransientClusterErrors.ShouldRetry(TransientClusterErrors.SafetyOf(http), TransientClusterErrors.Classify(exception));
    }
}

public static class ClusterRetrySetup
{
    public static IServiceCollection AddClusterRetry(this IServiceCollection services)
    {
        services.AddOptions<ClusterRetryOptions>().BindConfiguration(ClusterRetryOptions.Section);
        services.AddResiliencePipeline(ClusterRetryFilter.PipelineKey, (builder, context) =>
            ClusterRetryFilter.Configure(builder, context.ServiceProvider.GetRequiredService<IOptions<ClusterRetryOptions>>().Value,
                context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<ClusterRetryFilter>()));
        services.AddSingleton<ClusterRetryFilter>();
        services.TryAddSingleton<GatewayLossSignal>();
        return services;
    }

    /// <summary>Every endpoint of the group goes through the retry filter (which decides per request).</summary>
    public static RouteGroupBuilder WithClusterRetry(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
            await context.HttpContext.RequestServices.GetRequiredService<ClusterRetryFilter>().InvokeAsync(context, next));
        return group;
    }

    /// <summary>Declares that running the endpoint twice has the effect of running it once.</summary>
    public static TBuilder RetrySafe<TBuilder>(this TBuilder builder, RetrySafety safety = RetrySafety.Idempotent) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ClusterRetryMetadata(safety));
}
