using Orleans.Runtime;

namespace LiveCommerce.Tests.Support;

public static class Activations
{
    /// <summary>Collects every idle activation and checks the grain's is gone, so the next call activates afresh.</summary>
    public static async Task DeactivateAsync(IClusterClient client, Type grainClass, string key)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var stats = await management.GetDetailedGrainStatistics([grainClass.FullName!]);
            if (!stats.Any(s => s.GrainId.Key.ToString() == key)) return;
            await Task.Delay(100);
        }
        Assert.Fail($"{grainClass.Name} {key} is still active after collection.");
    }
}
