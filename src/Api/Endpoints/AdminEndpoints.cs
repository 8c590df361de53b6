using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Jobs that reminders run on their own, exposed so operators (and tests with a fake clock) can run them now.</summary>
public static class AdminEndpoints
{
    /// <summary>The active silos and their activations by grain type (the load test reads <c>silos</c>).</summary>
    public sealed record ClusterView(IReadOnlyList<SiloActivations> Silos);
    public sealed record SiloActivations(string Silo, string Status, int Activations, IReadOnlyDictionary<string, int> ByGrainType);
    public sealed record AutoConfirmResult(int Confirmed);
    public sealed record ReservationsExpired(int Released);

    public static void MapAdminEndpoints(this RouteGroupBuilder v1)
    {
        var admin = v1.MapGroup("/admin").WithTags("Operations").RequireAuthorization(Roles.Admin);

        // Silos and where the activations are, so operators (and the load test) can see the work spread over the cluster.
        admin.MapGet("/cluster", async Task<Ok<ClusterView>> (IGrainFactory grains) =>
        {
            var management = grains.GetGrain<IManagementGrain>(0);
            var hosts = await management.GetHosts(onlyActive: true);
            var stats = await management.GetSimpleGrainStatistics();
            var silos = hosts.Keys.Select(silo => new SiloActivations(
                silo.ToString(),
                hosts[silo].ToString(),
                stats.Where(s => s.SiloAddress.Equals(silo)).Sum(s => s.ActivationCount),
                stats.Where(s => s.SiloAddress.Equals(silo) && s.ActivationCount > 0)
                    .GroupBy(s => s.GrainType.Split('.').Last().Split(',')[0])
                    .ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount)))).OrderBy(s => s.Silo).ToList();
            return TypedResults.Ok(new ClusterView(silos));
        }).Declares().WithSummary("The active silos and how many activations of each grain type each holds (admins).");

        admin.MapPost("/jobs/auto-confirm", async Task<Ok<AutoConfirmResult>> (IGrainFactory grains) =>
            TypedResults.Ok(new AutoConfirmResult(await grains.Ref<IAutoConfirmSchedulerGrain>("auto-confirm").RunDue())))
            .Declares().WithSummary("Confirms receipt now of every order whose confirmation deadline has passed; answers how many (admins).");

        admin.MapPost("/repurchase-plans/{buyerId}/{productId}/run", async Task<Ok<RepurchasePlanView>> (string buyerId, string productId, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IRepurchasePlanGrain>($"{Ids.Require(buyerId, "buyerId")}:{Ids.Require(productId, "productId")}").RunDue()))
            .WithDescription("Runs a repurchase plan's due order now. 409 repurchase.not_due (currentState: the ISO time it is due) when " +
                "the period's order is not due yet, 409 repurchase.revoked when the buyer revoked the plan; it never buys ahead of its period.")
            .Declares(StatusCodes.Status409Conflict).WithSummary("Places a repurchase plan's due order now (admins).");

        admin.MapPost("/rooms/{roomId}/expire-reservations", async Task<Ok<ReservationsExpired>> (string roomId, IGrainFactory grains) =>
            TypedResults.Ok(new ReservationsExpired(await grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId")).ExpireDueReservations())))
            .Declares().WithSummary("Releases the room's stock reservations of unpaid orders past their deadline now (admins).");
    }
}
