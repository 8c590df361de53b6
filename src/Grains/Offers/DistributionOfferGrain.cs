using LiveCommerce.Contracts.Offers;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Grains.Offers;

[GenerateSerializer]
public sealed class DistributionOfferState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string MerchantId { get; set; } = "";
    [Id(2)] public OfferStatus Status { get; set; }
    /// <summary>Grows with every change of terms and every withdrawal; listings remember the version they were admitted at.</summary>
    [Id(3)] public long Version { get; set; }
    [Id(4)] public int CommissionBasisPoints { get; set; }
    [Id(5)] public int SellerFloorBasisPoints { get; set; }
    [Id(6)] public bool OpenToAll { get; set; }
    [Id(7)] public List<string> StreamerIds { get; set; } = [];
    [Id(8)] public DateTimeOffset PublishedAt { get; set; }
    [Id(9)] public DateTimeOffset? WithdrawnAt { get; set; }
    [Id(10)] public Dictionary<string, OfferRoom> Rooms { get; set; } = [];
}

/// <summary>A room that listed the product under the offer.</summary>
[GenerateSerializer]
public sealed class OfferRoom
{
    [Id(0)] public string StreamerId { get; set; } = "";
    [Id(1)] public long Version { get; set; }
    [Id(2)] public DateTimeOffset ListedAt { get; set; }
    /// <summary>0 while the room may sell; otherwise the room must stop listings admitted at this version or before.</summary>
    [Id(3)] public long StopVersion { get; set; }
    /// <summary>The room acknowledged the stop (it is durable in the room).</summary>
    [Id(4)] public bool StopDelivered { get; set; }
}

/// <summary>
/// A merchant's distribution offer for one product (key: product id). It admits listings (deriving their split plan)
/// and remembers the rooms it admitted; when it is withdrawn, or its terms change, it tells each room to stop: the
/// stop is persisted here first, then delivered to the rooms (a room keeps it in its own state and checks it on every
/// reservation without calling anyone), retried by a timer while active and by a reminder after a restart.
/// </summary>
public sealed class DistributionOfferGrain(
    [PersistentState("distributionOffer", StorageNames.Rooms)] IPersistentState<DistributionOfferState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    SplitPolicy splitPolicy,
    ILogger<DistributionOfferGrain> logger) : Grain, IDistributionOfferGrain, IRemindable
{
    private const string StopReminder = "offer-stops";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    private IGrainTimer? _retry;
    private bool _reminderMayExist;

    private string ProductId => this.GetPrimaryKeyString();
    private DistributionOfferState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (PendingStops().Any()) ScheduleRetry();
        await base.OnActivateAsync(cancellationToken);
    }

    public async Task<OfferView> Publish(string merchantId, PublishOffer command)
    {
        Ids.Require(merchantId, "merchantId");
        var terms = OfferRules.Validate(command, splitPolicy);
        var product = await GrainFactory.Ref<IProductGrain>(ProductId).Get();
        if (product.MerchantId != merchantId) throw DomainException.Forbidden($"Product '{ProductId}' belongs to another merchant.");

        if (S.Exists && S.Status == OfferStatus.Published && S.CommissionBasisPoints == terms.CommissionBasisPoints
            && S.SellerFloorBasisPoints == terms.SellerFloorBasisPoints && S.OpenToAll == terms.OpenToAll && S.StreamerIds.SequenceEqual(terms.StreamerIds))
            return View();
        // The merchant's list learns of the offer before the offer exists, so it never misses one.
        if (!S.Exists) await GrainFactory.Ref<IMerchantOffersGrain>(merchantId).Register(ProductId);

        var termsChanged = S.CommissionBasisPoints != terms.CommissionBasisPoints || S.SellerFloorBasisPoints != terms.SellerFloorBasisPoints;
        var previous = S.Version;
        S.Exists = true;
        S.MerchantId = merchantId;
        S.Status = OfferStatus.Published;
        S.Version++;
        S.CommissionBasisPoints = terms.CommissionBasisPoints;
        S.SellerFloorBasisPoints = terms.SellerFloorBasisPoints;
        S.OpenToAll = terms.OpenToAll;
        S.StreamerIds = terms.StreamerIds.ToList();
        S.PublishedAt = clock.GetUtcNow();
        S.WithdrawnAt = null;
        // Rooms that listed under other terms, or whose streamer the offer no longer names, stop; they may list again.
        foreach (var room in S.Rooms.Values.Where(r => r.StopVersion == 0))
            if (termsChanged || !OfferRules.IsOpenTo(S.OpenToAll, S.StreamerIds, room.StreamerId))
                Stop(room, previous);
        await WriteAsync();
        await DeliverStopsAsync();
        return View();
    }

    public async Task<OfferView> Withdraw(string merchantId)
    {
        Ids.Require(merchantId, "merchantId");
        RequireExists();
        if (S.MerchantId != merchantId) throw DomainException.Forbidden($"Product '{ProductId}' belongs to another merchant.");
        if (S.Status == OfferStatus.Withdrawn)
        {
            await DeliverStopsAsync();
            return View();
        }
        S.Status = OfferStatus.Withdrawn;
        S.Version++;
        S.WithdrawnAt = clock.GetUtcNow();
        foreach (var room in S.Rooms.Values.Where(r => r.StopVersion == 0)) Stop(room, S.Version);
        await WriteAsync();
        await DeliverStopsAsync();
        return View();
    }

    public Task<OfferView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    public Task<OfferView?> Find() => Task.FromResult(S.Exists ? View() : null);

    public async Task<OfferAdmission> AdmitListing(ListingRequest request)
    {
        Ids.Require(request.RoomId, "roomId");
        Ids.Require(request.StreamerId, "streamerId");
        if (!S.Exists)
            throw DomainException.Conflict("offer.none",
                $"Product '{ProductId}' has no distribution offer: its merchant must publish one before a streamer can sell it.");
        if (S.Status == OfferStatus.Withdrawn)
            throw DomainException.Conflict("offer.withdrawn", $"The merchant withdrew its offer for product '{ProductId}'.", nameof(OfferStatus.Withdrawn));
        if (!OfferRules.IsOpenTo(S.OpenToAll, S.StreamerIds, request.StreamerId))
            throw new DomainException(ErrorKind.Forbidden, "offer.not_open", $"The merchant's offer for product '{ProductId}' is not open to streamer '{request.StreamerId}'.");
        var plan = OfferRules.DerivePlan(S.CommissionBasisPoints, S.SellerFloorBasisPoints, splitPolicy, S.MerchantId, request.StreamerId, request.RequestedShares);

        if (!S.Rooms.TryGetValue(request.RoomId, out var known) || known.Version != S.Version || known.StopVersion != 0 || known.StreamerId != request.StreamerId)
        {
            S.Rooms[request.RoomId] = new OfferRoom { StreamerId = request.StreamerId, Version = S.Version, ListedAt = clock.GetUtcNow() };
            await WriteAsync();
        }
        return new OfferAdmission(S.MerchantId, S.Version, plan);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != StopReminder) return;
        _reminderMayExist = true;
        await DeliverStopsAsync();
    }

    // ---- internals --------------------------------------------------------------------------------

    private static void Stop(OfferRoom room, long version)
    {
        room.StopVersion = version;
        room.StopDelivered = false;
    }

    private IEnumerable<KeyValuePair<string, OfferRoom>> PendingStops() => S.Rooms.Where(r => r.Value.StopVersion != 0 && !r.Value.StopDelivered);

    private async Task WriteAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Memory holds a change its caller is told failed: reload what is durable.
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Tells every room with an undelivered stop; what fails is retried (timer while active, reminder after a restart).</summary>
    private async Task DeliverStopsAsync()
    {
        var pending = PendingStops().ToList();
        if (pending.Count == 0)
        {
            await ClearRetryAsync();
            return;
        }
        var delivered = await Task.WhenAll(pending.Select(async p =>
        {
            try
            {
                await GrainFactory.Ref<ILiveRoomGrain>(p.Key).StopOffer(ProductId, p.Value.StopVersion);
                return (p.Value, p.Value.StopVersion, ok: true);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Room {RoomId} did not take the stop of offer {ProductId}; will retry", p.Key, ProductId);
                return (p.Value, p.Value.StopVersion, ok: false);
            }
        }));
        var changed = false;
        foreach (var (room, version, ok) in delivered)
            if (ok && room.StopVersion == version) { room.StopDelivered = true; changed = true; }
        if (changed)
        {
            try { await state.WriteStateAsync(); }
            catch (Exception e) { logger.LogWarning(e, "Could not record delivered stops of offer {ProductId}; will deliver again", ProductId); }
        }
        if (PendingStops().Any()) ScheduleRetry();
        else await ClearRetryAsync();
    }

    private void ScheduleRetry()
    {
        _retry ??= this.RegisterGrainTimer(_ => DeliverStopsAsync(), new GrainTimerCreationOptions(RetryInterval, RetryInterval));
        if (_reminderMayExist) return;
        _reminderMayExist = true;
        _ = EnsureReminderAsync();
    }

    private async Task EnsureReminderAsync()
    {
        try { await this.RegisterOrUpdateReminder(StopReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)); }
        catch (Exception e) { logger.LogWarning(e, "Could not register the stop reminder of offer {ProductId}", ProductId); }
    }

    private async Task ClearRetryAsync()
    {
        _retry?.Dispose();
        _retry = null;
        if (!_reminderMayExist) return;
        _reminderMayExist = false;
        try
        {
            var reminder = await this.GetReminder(StopReminder);
            if (reminder is not null) await this.UnregisterReminder(reminder);
        }
        catch (Exception e) { logger.LogDebug(e, "Could not remove the stop reminder of offer {ProductId}", ProductId); }
    }

    private void RequireExists()
    {
        if (!S.Exists) throw DomainException.NotFound("offer", ProductId);
    }

    private OfferView View() =>
        new(ProductId, S.MerchantId, S.Status, S.Version, S.CommissionBasisPoints, S.SellerFloorBasisPoints, S.OpenToAll, S.StreamerIds.ToList(),
            S.PublishedAt, S.WithdrawnAt,
            S.Rooms.OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => new OfferRoomView(r.Key, r.Value.StreamerId, r.Value.Version, r.Value.ListedAt, r.Value.StopVersion == 0, r.Value.StopDelivered))
                .ToList());
}
