using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

public sealed class StreamerGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_profile_survives_deactivation()
    {
        var grain = fixture.Client.GetGrain<IStreamerGrain>("grain-streamer-1");
        await grain.CreateProfile(new CreateStreamerProfile("Li Jiaqi", "Shanghai"));
        await fixture.Cluster.DeactivateAsync(grain);

        var profile = await grain.GetProfile();
        Assert.Equal("Li Jiaqi", profile.DisplayName);
        Assert.Equal("Shanghai", profile.HomeCity);
        Assert.Equal(fixture.Clock.GetUtcNow(), profile.CreatedAt);
    }

    [Fact]
    public async Task A_conflicting_profile_is_refused_and_the_first_stays()
    {
        var grain = fixture.Client.GetGrain<IStreamerGrain>("grain-streamer-2");
        await grain.CreateProfile(new CreateStreamerProfile("A", "Hangzhou"));
        var error = await Assert.ThrowsAsync<DomainException>(() => grain.CreateProfile(new CreateStreamerProfile("B", "Hangzhou")));
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Equal("A", (await grain.GetProfile()).DisplayName);
    }

    [Fact]
    public async Task An_unknown_streamer_is_not_found()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => fixture.Client.GetGrain<IStreamerGrain>("grain-nobody").GetProfile());
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }
}
