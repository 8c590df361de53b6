using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Rooms;

[GenerateSerializer]
public sealed class StreamerState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string DisplayName { get; set; } = "";
    [Id(2)] public string HomeCity { get; set; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    [Id(4)] public HashSet<string> Fans { get; set; } = [];
}

public sealed class StreamerGrain(
    [PersistentState("streamer", StorageNames.Rooms)] IPersistentState<StreamerState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<StreamerGrain> logger) : Grain, IStreamerGrain
{
    private string StreamerId => this.GetPrimaryKeyString();

    public async Task<StreamerProfile> CreateProfile(CreateStreamerProfile command)
    {
        var name = Text.Require(command.DisplayName, "displayName", 100);
        var city = Text.Require(command.HomeCity, "homeCity", 50);
        var s = state.State;
        if (s.Created)
        {
            if (s.DisplayName == name && s.HomeCity == city) return View();
            throw DomainException.Conflict("streamer.exists", $"Streamer '{StreamerId}' already has a different profile.");
        }

        s.Created = true;
        s.DisplayName = name;
        s.HomeCity = city;
        s.CreatedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        return View();
    }

    public Task<StreamerProfile> GetProfile()
    {
        RequireCreated();
        return Task.FromResult(View());
    }

    public async Task<long> AddFan(string buyerId)
    {
        RequireCreated();
        if (state.State.Fans.Add(buyerId))
        {
            await state.WriteStateAsync();
            await this.PublishAsync(logger, new FollowChanged(StreamerId, buyerId, true, clock.GetUtcNow()),
                (EventStreams.Streamers, StreamerId));
        }
        return state.State.Fans.Count;
    }

    public async Task<long> RemoveFan(string buyerId)
    {
        RequireCreated();
        if (state.State.Fans.Remove(buyerId))
        {
            await state.WriteStateAsync();
            await this.PublishAsync(logger, new FollowChanged(StreamerId, buyerId, false, clock.GetUtcNow()),
                (EventStreams.Streamers, StreamerId));
        }
        return state.State.Fans.Count;
    }

    private void RequireCreated()
    {
        if (!state.State.Created) throw DomainException.NotFound("streamer", StreamerId);
    }

    private StreamerProfile View()
    {
        var s = state.State;
        return new StreamerProfile(StreamerId, s.DisplayName, s.HomeCity, s.CreatedAt, s.Fans.Count);
    }
}
