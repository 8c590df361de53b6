using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveCommerce.Tests.Postgres;

/// <summary>The postgres profile against a real PostgreSQL: schema, membership, storage, reminders.</summary>
public sealed class PostgresClusterTests
{
    private static string NewClusterId() => "pg-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task The_schema_applies_twice_without_error()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var schema = new PostgresSchema(NullLogger<PostgresSchema>.Instance);
        await schema.ApplyAsync(connectionString);
        await schema.ApplyAsync(connectionString);

        var keys = await PostgresDatabase.ScalarAsync<long>(connectionString, "SELECT count(*) FROM OrleansQuery");
        Assert.True(keys >= 19, $"expected every provider query key, found {keys}");
        var storagePk = await PostgresDatabase.ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'orleansstorage'::regclass AND contype = 'p'");
        Assert.Equal(1, storagePk);
    }

    [Fact]
    public async Task Grain_state_survives_a_whole_cluster_restart()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clusterId = NewClusterId();
        var streamerId = "pg-streamer-" + Guid.NewGuid().ToString("N")[..8];

        await using (var first = await PostgresSilo.StartAsync(connectionString, clusterId))
        {
            await first.Client.GetGrain<IStreamerGrain>(streamerId).CreateProfile(new CreateStreamerProfile("Durable", "Chengdu"));
        }

        await using var second = await PostgresSilo.StartAsync(connectionString, clusterId);
        var profile = await second.Client.GetGrain<IStreamerGrain>(streamerId).GetProfile();
        Assert.Equal("Durable", profile.DisplayName);
        Assert.Equal("Chengdu", profile.HomeCity);
    }

    [Fact]
    public async Task Two_silos_join_one_cluster_through_the_membership_table()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clusterId = NewClusterId();
        await using var a = await PostgresSilo.StartAsync(connectionString, clusterId);
        await using var b = await PostgresSilo.StartAsync(connectionString, clusterId);

        var active = 0;
        for (var i = 0; i < 60 && active < 2; i++)
        {
            active = (await a.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count;
            if (active < 2) await Task.Delay(500);
        }
        Assert.Equal(2, active);

        var rows = await PostgresDatabase.ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @c AND Status = 3", ("c", clusterId));
        Assert.Equal(2, rows);
    }

    [Fact]
    public async Task A_reminder_stored_in_postgres_fires_on_a_silo_started_after_it_was_registered()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clusterId = NewClusterId();
        var probeId = "probe-" + Guid.NewGuid().ToString("N")[..8];

        await using (var first = await PostgresSilo.StartAsync(connectionString, clusterId))
        {
            await first.Client.GetGrain<IReminderProbeGrain>(probeId).Arm(TimeSpan.FromSeconds(3));
        }
        Assert.False(ReminderProbeGrain.Fired.ContainsKey(probeId));
        var stored = await PostgresDatabase.ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM OrleansRemindersTable WHERE ReminderName = @n AND GrainId LIKE @g",
            ("n", ReminderProbeGrain.ReminderName), ("g", "%" + probeId + "%"));
        Assert.Equal(1, stored);

        await using var second = await PostgresSilo.StartAsync(connectionString, clusterId);
        for (var i = 0; i < 120 && !ReminderProbeGrain.Fired.ContainsKey(probeId); i++) await Task.Delay(500);
        Assert.True(ReminderProbeGrain.Fired.ContainsKey(probeId), "the reminder did not fire within 60 s");

        await second.Client.GetGrain<IReminderProbeGrain>(probeId).Disarm();
        var left = await PostgresDatabase.ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE @g", ("g", "%" + probeId + "%"));
        Assert.Equal(0, left);
    }
}
