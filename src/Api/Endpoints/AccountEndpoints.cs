using System.Security.Claims;
using LiveCommerce.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Api.Platform;

namespace LiveCommerce.Api.Endpoints;

public static class AccountEndpoints
{
    /// <summary>Longest date range a settlement query may span.</summary>
    public const int MaxRangeDays = 366;

    public sealed record CycleRequest(int? CycleDays);
    public sealed record PayoutRequest(long? Amount);

    public static void MapAccountEndpoints(this RouteGroupBuilder v1)
    {
        var accounts = v1.MapGroup("/accounts").WithTags("Settlement");

        accounts.MapGet("/{accountId}", async Task<Ok<AccountBalance>> (string accountId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Own(http.User, grains, accountId).GetBalance())).RequireAuthorization("authenticated").AllowApps(AppScopes.SettlementRead)
            .Declares().WithSummary("A settlement account's balance: pending, on hold, available, paid out, its cycle (the account's merchant or streamer, its app, or an admin).");

        accounts.MapGet("/{accountId}/batches", async Task<Ok<IReadOnlyList<SettlementBatchView>>> (string accountId, DateOnly? from, DateOnly? to,
            HttpContext http, IGrainFactory grains) =>
        {
            var (f, t) = Range(from, to);
            return TypedResults.Ok(await Own(http.User, grains, accountId).GetBatches(f, t));
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.SettlementRead).RequiresQuery("from", "to").Declares(StatusCodes.Status400BadRequest)
          .WithSummary($"The account's settlement batches settled between from and to (both required, at most {MaxRangeDays} days; the account's owner, its app, or an admin).");

        accounts.MapGet("/{accountId}/batches/{batchId}", async Task<Ok<SettlementBatchView>> (string accountId, string batchId, HttpContext http, IGrainFactory grains) =>
        {
            var batch = await Own(http.User, grains, accountId).GetBatch(Ids.Require(batchId, "batchId"));
            return batch is null ? throw DomainException.NotFound("batch", batchId) : TypedResults.Ok(batch);
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.SettlementRead).Declares()
          .WithSummary("One settlement batch with its lines (the account's owner, its app, or an admin).");

        // A statement of every ledger line in the range, as CSV for the merchant's bookkeeping.
        accounts.MapGet("/{accountId}/statement.csv", async Task<FileContentHttpResult> (string accountId, DateOnly? from, DateOnly? to, HttpContext http, IGrainFactory grains) =>
        {
            var (f, t) = Range(from, to);
            var lines = await Own(http.User, grains, accountId).GetStatement(f, t);
            var csv = CsvFiles.Write(["entry_id", "account_id", "order_id", "kind", "amount_fen", "at_utc", "batch_id"], lines, (w, l) =>
            {
                w.Text(l.EntryId);
                w.Text(l.AccountId);
                w.Text(l.OrderId);
                w.Text(l.Kind);
                w.Number(l.Amount);
                w.Time(l.At, "yyyy-MM-ddTHH:mm:ss.fffZ");
                w.Text(l.BatchId);
            });
            return TypedResults.File(csv, CsvFiles.ContentType, $"statement-{accountId}-{f:yyyyMMdd}-{t:yyyyMMdd}.csv");
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.SettlementRead).RequiresQuery("from", "to").ProducesCsv().Declares(StatusCodes.Status400BadRequest)
          .WithSummary("Every ledger line of the account from..to (both required) as CSV for bookkeeping (the account's owner, its app, or an admin).");

        // The payout id is the Idempotency-Key: a repeat answers the original receipt and pays nothing more.
        accounts.MapPost("/{accountId}/payouts", async Task<Ok<PayoutReceipt>> (string accountId, PayoutRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var key = http.RequireIdempotencyKey();
            var account = Own(http.User, grains, accountId);
            var receipt = await account.Payout(key, RequestHelpers.Require(body.Amount, "amount"), http.User.Subject());
            // The front door's own repeat of this request found what its first attempt paid: for the caller it is the first answer.
            if (receipt.Replayed && !ClusterRetryFilter.IsRepeat(http)) http.Response.Headers[RequestHelpers.IdempotentReplayedHeader] = "true";
            return TypedResults.Ok(receipt);
        }).RequireAuthorization("authenticated").DeclaresIdempotencyKey().RetrySafe(RetrySafety.IdempotentWithKey).Declares(StatusCodes.Status409Conflict)
          .DeclaresResponseHeader(StatusCodes.Status200OK, RequestHelpers.IdempotentReplayedHeader, "true: the key was used before; this is the payout it made.")
          .WithDescription("200 with the payout's receipt: payoutId (the Idempotency-Key), amount (fen), receipt (the ledger entry that " +
              "records it, the same one the payout.paid webhook names), paidAt and the balances right after it. A repeat with the same " +
              "key and amount answers the original receipt with header Idempotent-Replayed: true and pays nothing. 409 codes: " +
              "account.insufficient_funds, idempotency.key_reused (the key was used for another amount).")
          .WithSummary("Pays out an amount of the available balance to the account's owner and answers the payout's receipt (the account's owner or an admin).");

        // The cycle: an operator sets any (0..30); the merchant itself, or its app with settlement.config, chooses within
        // the platform's self-service range. The answer says which confirmed shares keep their date (all of them).
        accounts.MapPut("/{accountId}/cycle", async Task<Ok<CycleChange>> (string accountId, CycleRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(accountId, "accountId");
            var byOperator = http.User.IsAdmin();
            if (!byOperator) http.User.EnsureActsAs(Party.Merchant, accountId);
            var actor = http.User.ActingApp() is { } app ? $"app:{app}" : http.User.Subject();
            return TypedResults.Ok(await grains.Ref<ISettlementAccountGrain>(accountId)
                .ChangeCycle(RequestHelpers.Require(body.CycleDays, "cycleDays"), actor, selfService: !byOperator));
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.SettlementConfig)
          .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
          .WithSummary("Changes the settlement cycle: admins any (T+0..T+30), the merchant or its app (settlement.config) within the self-service range.");

        accounts.MapPost("/{accountId}/settlement-runs", async Task<Ok<SettlementRunResult>> (string accountId, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<ISettlementAccountGrain>(Ids.Require(accountId, "accountId")).RunSettlement()))
            .RequireAuthorization(Roles.Admin).Declares()
            .WithSummary("Settles the account's due shares now instead of at its next scheduled run (admins).");
    }

    /// <summary>A party uses only its own account (merchant or streamer whose id is the account id); admins any.</summary>
    private static ISettlementAccountGrain Own(ClaimsPrincipal user, IGrainFactory grains, string accountId)
    {
        Ids.Require(accountId, "accountId");
        user.EnsureOwnsAccount(accountId);
        return grains.Ref<ISettlementAccountGrain>(accountId);
    }

    private static (DateOnly From, DateOnly To) Range(DateOnly? from, DateOnly? to)
    {
        var f = RequestHelpers.Require(from, "from");
        var t = RequestHelpers.Require(to, "to");
        if (t < f) throw DomainException.Invalid("to", "to must not be before from.");
        if (t.DayNumber - f.DayNumber + 1 > MaxRangeDays) throw DomainException.Invalid("to", $"A range is at most {MaxRangeDays} days.");
        return (f, t);
    }
}
