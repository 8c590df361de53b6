using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Jobs that reminders run on their own, exposed so operators (and tests with a fake clock) can run them now.</summary>
public static class AdminEndpoints
{
    public static void MapAdminEndpoints(this RouteGroupBuilder v1)
    {
        var admin = v1.MapGroup("/admin").WithTags("Operations").RequireAuthorization(Roles.Admin);

        // Silos and where the activations are, so operators (and the load test) can see the work spread over the cluster.
        admin.MapGet("/cluster", async (IGrainFactory grains) =>
        {
            var management = grains.GetGrain<IManagementGrain>(0);
            var hosts = await management.GetHosts(onlyActive: true);
            var stats = await management.GetSimpleGrainStatistics();
            var silos = hosts.Keys.Select(silo => new
            {
                silo = silo.ToString(),
                status = hosts[silo].ToString(),
                activations = stats.Where(s => s.SiloAddress.Equals(silo)).Sum(s => s.ActivationCount),
                byGrainType = stats.Where(s => s.SiloAddress.Equals(silo) && s.ActivationCount > 0)
                    .GroupBy(s => s.GrainType.Split('.').Last().Split(',')[0])
                    .ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount)),
            }).OrderBy(s => s.silo).ToList();
            return Results.Ok(new { silos });
        });

        admin.MapPost("/jobs/auto-confirm", async (IGrainFactory grains) =>
            Results.Ok(new { confirmed = await grains.Ref<IAutoConfirmSchedulerGrain>("auto-confirm").RunDue() }));

        admin.MapPost("/repurchase-plans/{buyerId}/{productId}/run", async (string buyerId, string productId, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IRepurchasePlanGrain>($"{Ids.Require(buyerId, "buyerId")}:{Ids.Require(productId, "productId")}").RunDue()))
            .WithDescription("Runs a repurchase plan's due order now. 409 repurchase.not_due (currentState: the ISO time it is due) when " +
                "the period's order is not due yet, 409 repurchase.revoked when the buyer revoked the plan; it never buys ahead of its period.");

        admin.MapPost("/rooms/{roomId}/expire-reservations", async (string roomId, IGrainFactory grains) =>
            Results.Ok(new { released = await grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId")).ExpireDueReservations() }));
    }
}
