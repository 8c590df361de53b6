using System.Text.Json;
using LiveCommerce.Contracts.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>
/// Turns every expected failure into RFC 7807 problem details: domain errors keep their kind (400, 403,
/// 404, 409), unreadable requests are 400, an unreachable cluster or database is 503. Anything else falls through to
/// the default handler as a 500, which is always a bug.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, Microsoft.Extensions.Options.IOptions<ClusterRetryOptions> retry,
    ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var failure = TransientClusterErrors.Classify(exception);
        var problem = exception switch
        {
            DomainException d => FromDomain(d),
            BadHttpRequestException b => new ProblemDetails
            {
                Status = b.StatusCode,
                Title = "The request could not be read.",
                Detail = b.InnerException is JsonException j ? $"Malformed JSON: {j.Message}" : b.Message,
            },
            JsonException j => new ProblemDetails { Status = 400, Title = "Malformed JSON.", Detail = j.Message },
            // A silo that is down or was just killed, after the retries the endpoint allows (ClusterRetryFilter).
            _ when failure != ClusterFailure.None => new ProblemDetails
            {
                Status = 503,
                Title = "The cluster is not reachable right now.",
                Detail = failure == ClusterFailure.NotDelivered || TransientClusterErrors.SafetyOf(context) == RetrySafety.Idempotent
                    ? "Retry with the same Idempotency-Key; the request is safe to repeat."
                    : "The request may or may not have taken effect; check before repeating it.",
            },
            // A database that refuses connections, is full or is failing over, however Orleans wrapped it: nothing was
            // acknowledged, so a retry is safe.
            _ when StorageFailures.IsUnavailable(exception) => new ProblemDetails
            {
                Status = 503,
                Title = "The database is not reachable right now.",
                Detail = "Retry with the same Idempotency-Key; the request is safe to repeat.",
            },
            _ => null,
        };
        if (problem is null) return false;

        if (problem.Status >= 500)
            logger.LogWarning(exception, "Request {Path} failed with {Status}", context.Request.Path, problem.Status);
        // Both 503s are passing conditions (a silo failing over, the database reconnecting): tell clients when to come back.
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            context.Response.Headers.RetryAfter = retry.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static ProblemDetails FromDomain(DomainException d)
    {
        var status = d.Kind switch
        {
            ErrorKind.Validation => StatusCodes.Status400BadRequest,
            ErrorKind.NotFound => StatusCodes.Status404NotFound,
            ErrorKind.Conflict => StatusCodes.Status409Conflict,
            ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status400BadRequest,
        };
        var problem = d.Kind == ErrorKind.Validation && d.Field is not null
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [d.Field] = [d.Message] })
            : new ProblemDetails();
        problem.Status = status;
        problem.Title = d.Kind switch
        {
            ErrorKind.Validation => "The request is invalid.",
            ErrorKind.NotFound => "Not found.",
            ErrorKind.Conflict => "The request conflicts with the current state.",
            ErrorKind.Forbidden => "Forbidden.",
            _ => "Error.",
        };
        problem.Detail = d.Message;
        problem.Extensions["code"] = d.Code;
        if (d.CurrentState is not null) problem.Extensions["currentState"] = d.CurrentState;
        return problem;
    }
}
