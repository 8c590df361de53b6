using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Contracts.Offers;
using LiveCommerce.Grains.Offers;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Risk;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Traffic;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Serialization;
using LiveCommerce.Grains.Rooms.Channel;

namespace LiveCommerce.Grains.Rooms;

/// <summary>
/// A live room. Reentrant, because a flash sale sends it thousands of reservations a second: each call checks and
/// changes stock synchronously (one turn, so no two calls can take the same unit), then awaits a coalesced write of
/// the stock lines that changed, so one storage round trip persists every reservation made while the previous write
/// was in flight. A call is answered only after a write that includes its change has completed. The room's own
/// state (status, shelf) is a separate, rarely written grain state.
/// </summary>
[Reentrant]
public sealed class LiveRoomGrain(
    [PersistentState("liveRoom", StorageNames.Rooms)] IPersistentState<LiveRoomState> room,
    [PersistentState("liveRoomAudience", StorageNames.Rooms)] IPersistentState<RoomAudienceState> audience,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    IOptions<RoomSettings> roomSettings,
    IOptions<RoomChannelSettings> channelSettings,
    IRoomStockLedger stockLedger,
    DeepCopier copier,
    ILogger<LiveRoomGrain> logger) : Grain, ILiveRoomGrain, IRemindable, IRoomChannelSource
{
    private const string SweepReminder = "reservation-sweep";
    private const int SweepParallelism = 64;

    private readonly RoomSettings _settings = roomSettings.Value;
    private LiveRoomState _live = null!;
    private RoomAudienceState _audience = null!;
    private CoalescingWriter _writer = null!;
    private CoalescingWriter _lineWriter = null!;
    /// <summary>Open reservations by order id (memory; durable as stock lines).</summary>
    private readonly Dictionary<string, StockLine> _open = [];
    /// <summary>Stock lines changed since the last line write, by order id.</summary>
    private Dictionary<string, StockLine> _changedLines = [];
    /// <summary>The version of the room's stock lines this activation last loaded or wrote (the next write expects it).</summary>
    private long _linesVersion;
    /// <summary>Open (unpaid) orders per buyer in this room and per buyer and product: the hoarding caps (memory; rebuilt from the open lines).</summary>
    private readonly Dictionary<string, int> _openByBuyer = [];
    private readonly Dictionary<(string Buyer, string Product), int> _openByBuyerProduct = [];
    private long _gmv, _ordersPaid, _refundedAmount;
    private bool _audienceDirty, _audienceSuperseded;
    private bool _sweeping;
    private bool _sweepReminderRegistered;
    private long _likesSinceFlush, _commentsSinceFlush, _sharesSinceFlush;
    private long _newInteractorsSinceFlush;
    private DateTimeOffset _lastFlush;
    /// <summary>What changed since the last channel tick: a set insert on the reservation path, one one-way batch per tick.</summary>
    private readonly RoomChannelOutbox _outbox = new(channelSettings.Value.CommentsPerSecond, channelSettings.Value.TickersPerTick);

    private string RoomId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _live = room.State;
        _audience = audience.State;
        _writer = new CoalescingWriter(() => room.WriteSnapshotAsync(_live, copier), OnWriteFailed);
        _lineWriter = new CoalescingWriter(WriteLinesAsync, OnWriteFailed);
        if (_live.Opened) await LoadStockAsync(cancellationToken);
        _lastFlush = clock.GetUtcNow();
        this.RegisterGrainTimer(async ct => { await FlushAudienceAsync(ct); await ReportToPoolAsync(); },
            new GrainTimerCreationOptions(_settings.InteractionFlushInterval, _settings.InteractionFlushInterval) { Interleave = true });
        var tick = channelSettings.Value.TickInterval;
        this.RegisterGrainTimer(ChannelTick, new GrainTimerCreationOptions(tick, tick) { Interleave = true });
        this.RegisterGrainTimer(SweepTickAsync, new GrainTimerCreationOptions(_settings.ReservationSweepInterval, _settings.ReservationSweepInterval) { Interleave = true });
        _sweepReminderRegistered = _open.Count > 0 && await this.GetReminder(SweepReminder) is not null;
    }

    /// <summary>Rebuilds the shelf counters and open reservations from the stock lines.</summary>
    private async Task LoadStockAsync(CancellationToken cancellationToken)
    {
        var snapshot = await stockLedger.LoadAsync(RoomId, cancellationToken);
        _linesVersion = snapshot.Version;
        foreach (var line in snapshot.Open)
        {
            _open[line.OrderId] = line;
            CountOpen(line, +1);
            if (_live.Shelf.TryGetValue(line.ProductId, out var item)) item.Reserved += line.Quantity;
        }
        foreach (var totals in snapshot.Totals)
        {
            if (_live.Shelf.TryGetValue(totals.ProductId, out var item)) item.Sold = totals.SoldUnits;
            _gmv += totals.SoldAmount;
            _ordersPaid += totals.SoldOrders;
            _refundedAmount += totals.ReturnedAmount;
        }
    }

    private async Task WriteLinesAsync()
    {
        var changes = _changedLines;
        _changedLines = [];
        if (changes.Count == 0) return;
        await stockLedger.WriteAsync(RoomId, _linesVersion, changes.Values);
        _linesVersion++;
    }

    private void Change(StockLine line) => _changedLines[line.OrderId] = line;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode != DeactivationReasonCode.ApplicationError && !_audienceSuperseded) await FlushAudienceAsync(cancellationToken);
    }

    // ---- streamer operations ------------------------------------------------------------------

    public async Task<RoomView> Open(string streamerId, OpenRoom command)
    {
        Ids.Require(streamerId, "streamerId");
        var title = Text.Require(command.Title, "title", 100);
        var city = Text.Require(command.City, "city", 50);
        if (_live.Opened)
        {
            if (_live.StreamerId == streamerId && _live.Title == title && _live.City == city) return View();
            throw DomainException.Conflict("room.exists", $"Room '{RoomId}' is already open.");
        }
        await GrainFactory.Ref<IStreamerGrain>(streamerId).GetProfile(); // not found unless the streamer exists
        if (_live.Opened) return View(); // opened by an interleaved call meanwhile

        _live.Opened = true;
        _live.StreamerId = streamerId;
        _live.Title = title;
        _live.City = city;
        _live.Status = RoomStatus.Scheduled;
        _live.OpenedAt = clock.GetUtcNow();
        await _writer.WriteAsync();
        return View();
    }

    public async Task<RoomView> StartLive(string streamerId)
    {
        RequireOwner(streamerId);
        switch (_live.Status)
        {
            case RoomStatus.Live: return View();
            case RoomStatus.Ended: throw DomainException.Conflict("room.ended", "The live session has ended.", nameof(RoomStatus.Ended));
        }
        _live.Status = RoomStatus.Live;
        _live.StartedAt = clock.GetUtcNow();
        _outbox.StatusChanged();
        await _writer.WriteAsync();
        await ReportToPoolAsync();
        return View();
    }

    public async Task<RoomView> EndLive(string streamerId)
    {
        RequireOwner(streamerId);
        if (_live.Status == RoomStatus.Ended) return View();
        _live.Status = RoomStatus.Ended;
        _live.EndedAt = clock.GetUtcNow();
        _audience.CurrentViewers.Clear();
        _outbox.StatusChanged();
        _outbox.CountsChanged();
        _audienceDirty = true;
        await _writer.WriteAsync();
        await FlushAudienceAsync(CancellationToken.None);
        await ReportToPoolAsync();
        return View();
    }

    /// <summary>
    /// Lists a product under its merchant's distribution offer: the offer admits the room's streamer and derives the
    /// split plan (the request may only divide the commission among the selling side). A listing the offer stopped
    /// (withdrawn, or terms changed) can be listed again under the offer now published: units listed, reserved and
    /// sold stay; price, per-order limit and plan are the new ones.
    /// </summary>
    public async Task<ShelfItemView> ListProduct(string streamerId, ListProduct command)
    {
        RequireOwner(streamerId);
        RequireNotEnded();
        var productId = Ids.Require(command.ProductId, "productId");
        ProductGrain.RequirePrice(command.LivePrice, "livePrice");
        if (command.Stock < 0) throw DomainException.Invalid("stock", "stock must not be negative.");
        var limit = command.PerOrderLimit ?? int.MaxValue;
        if (limit <= 0) throw DomainException.Invalid("perOrderLimit", "perOrderLimit must be positive.");

        if (_live.Shelf.TryGetValue(productId, out var existing) && IsSelling(existing))
        {
            if (existing.LivePrice == command.LivePrice && existing.StockListed == command.Stock && existing.FlashSale == command.FlashSale
                && OfferRules.SameSellingShares(existing.SplitPlan, command.SplitPlan))
                return ViewOf(existing);
            throw DomainException.Conflict("shelf.already_listed", $"Product '{productId}' is already on the shelf; change its price or add stock instead.");
        }

        var product = await GrainFactory.Ref<IProductGrain>(productId).Get();
        if (!product.OnSale) throw DomainException.Conflict("product.off_sale", $"The merchant took product '{productId}' off sale.", "offSale");
        var admission = await GrainFactory.Ref<IDistributionOfferGrain>(productId).AdmitListing(new ListingRequest(RoomId, _live.StreamerId, command.SplitPlan));
        var (reference, flag) = await CheckPriceAsync(productId, command.LivePrice, product.MerchantId);
        if (_live.Shelf.TryGetValue(productId, out var item) && IsSelling(item))
            throw DomainException.Conflict("shelf.already_listed", $"Product '{productId}' is already on the shelf; change its price or add stock instead.");
        if (item is null)
        {
            item = new ShelfItem
            {
                ProductId = productId,
                Name = product.Name,
                Category = product.Category,
                ListPrice = product.ListPrice,
                StockListed = command.Stock,
            };
            _live.Shelf[productId] = item;
        }
        item.MerchantId = admission.MerchantId;
        item.LivePrice = command.LivePrice;
        item.PerOrderLimit = limit;
        item.SplitPlan = admission.SplitPlan;
        item.OfferVersion = admission.OfferVersion;
        item.FlashSale = command.FlashSale;
        item.ReferencePrice = reference;
        item.PriceFlag = flag;
        _outbox.Added(productId);
        await _writer.WriteAsync();
        return ViewOf(item);
    }

    public async Task StopOffer(string productId, long offerVersion)
    {
        Ids.Require(productId, "productId");
        if (!_live.Opened) return; // nothing was ever listed here
        if (!_live.OfferStops.TryGetValue(productId, out var stop) || stop < offerVersion) _live.OfferStops[productId] = offerVersion;
        _outbox.StockChanged(productId);
        // Also when nothing changed: a retried stop is acknowledged only once the first one is durable.
        await _writer.WriteAsync();
        logger.LogInformation("Room {RoomId} stopped listing {ProductId} (offer version {Version})", RoomId, productId, offerVersion);
    }

    public async Task<ShelfItemView> ChangePrice(string streamerId, string productId, long livePrice)
    {
        RequireOwner(streamerId);
        RequireNotEnded();
        ProductGrain.RequirePrice(livePrice, "livePrice");
        var item = ShelfItemOrThrow(productId);
        if (item.LivePrice == livePrice) return ViewOf(item);
        var (reference, flag) = await CheckPriceAsync(productId, livePrice, item.MerchantId);
        item.LivePrice = livePrice; // future reservations only: open ones keep the price they were made at
        item.ReferencePrice = reference;
        item.PriceFlag = flag;
        _outbox.PriceChanged(productId);
        await _writer.WriteAsync();
        return ViewOf(item);
    }

    public async Task<ShelfItemView> AddStock(string streamerId, string productId, int quantity)
    {
        RequireOwner(streamerId);
        RequireNotEnded();
        if (quantity <= 0) throw DomainException.Invalid("quantity", "quantity must be positive.");
        var item = ShelfItemOrThrow(productId);
        if ((long)item.StockListed + quantity > int.MaxValue) throw DomainException.Invalid("quantity", "quantity is too large.");
        item.StockListed += quantity;
        _outbox.StockChanged(productId);
        await _writer.WriteAsync();
        return ViewOf(item);
    }

    public async Task<RoomView> Pin(string streamerId, string? productId)
    {
        RequireOwner(streamerId);
        RequireNotEnded();
        if (productId is not null) ShelfItemOrThrow(Ids.Require(productId, "productId"));
        if (_live.PinnedProductId == productId) return View();
        _live.PinnedProductId = productId;
        _outbox.PinnedChanged();
        await _writer.WriteAsync();
        return View();
    }

    public async Task BanCommenter(string streamerId, string viewerId)
    {
        RequireOwner(streamerId);
        Ids.Require(viewerId, "viewerId");
        if (_audience.BannedCommenters.Count >= MaxBans && !_audience.BannedCommenters.Contains(viewerId))
            throw DomainException.Conflict("room.too_many_bans", $"A room bans at most {MaxBans} commenters.");
        _audience.BannedCommenters.Add(viewerId);
        _audience.RecentComments.RemoveAll(c => c.ViewerId == viewerId);
        _outbox.Ban(CommentAuthors.Handle(RoomId, viewerId));
        _audienceDirty = true;
        await FlushAudienceAsync(CancellationToken.None); // a ban is kept at once, not at the next flush
    }

    private const int MaxBans = 10_000;

    public async Task DeleteComment(string commentId)
    {
        RequireOpened();
        Ids.Require(commentId, "commentId");
        // Only recent comments are known here; older ones are already off every snapshot.
        if (_audience.RecentComments.RemoveAll(c => c.Id == commentId) == 0) throw DomainException.NotFound("comment", commentId);
        _outbox.DeleteComment(commentId);
        _audienceDirty = true;
        await FlushAudienceAsync(CancellationToken.None); // kept at once, like a ban: a reactivated room must not show it again
    }

    // ---- channel ----------------------------------------------------------------------------------

    public Task ResendToChannel()
    {
        _outbox.ResetRequested();
        return Task.CompletedTask;
    }

    private Task ChannelTick(CancellationToken cancellationToken)
    {
        var batch = _outbox.Drain(RoomId, this, TimeProvider.System.GetUtcNow());
        // One-way: the room's turn ends here whatever its audience does.
        if (batch is not null) GrainFactory.Ref<IRoomChannelGrain>(RoomId).Publish(batch).Ignore();
        return Task.CompletedTask;
    }

    ChannelShelfItem? IRoomChannelSource.ShelfItem(string productId) =>
        _live.Shelf.TryGetValue(productId, out var item) ? ChannelItem(item) : null;

    private ChannelShelfItem ChannelItem(ShelfItem item) =>
        new(item.ProductId, item.Name, item.LivePrice, item.ListPrice, Math.Max(0, item.StockLeft), IsSelling(item));

    ChannelCounts IRoomChannelSource.Counts() => new(_audience.CurrentViewers.Count, _audience.Likes, _audience.Comments, _audience.Shares);

    RoomStatus IRoomChannelSource.Status => _live.Status;

    string? IRoomChannelSource.PinnedProductId => _live.PinnedProductId;

    RoomChannelSnapshot IRoomChannelSource.Snapshot(long roomSequence) =>
        new(RoomId, 0, _live.Status, _live.Title, _live.Shelf.Values.OrderBy(i => i.ProductId, StringComparer.Ordinal).Select(ChannelItem).ToList(),
            ((IRoomChannelSource)this).Counts(), _live.PinnedProductId,
            _audience.RecentComments.Select(c => new ChannelComment(CommentAuthors.Handle(RoomId, c.ViewerId), c.Text, c.At, c.Id)).ToList(),
            roomSequence, _live.Opened);

    // ---- audience ---------------------------------------------------------------------------------

    public async Task<RoomView> Join(string viewerId)
    {
        RequireOpened();
        RequireNotEnded();
        if (_audience.CurrentViewers.Contains(viewerId)) return View();
        var buyer = await GrainFactory.Ref<IBuyerGrain>(viewerId).Find()
            ?? throw DomainException.NotFound("buyer", viewerId);
        if (!_audience.CurrentViewers.Add(viewerId)) return View(); // joined by an interleaved call meanwhile
        _outbox.CountsChanged();
        var first = _audience.UniqueViewers.Add(viewerId);
        _audienceDirty = true;
        await this.PublishAsync(logger, new ViewerJoined(RoomId, _live.StreamerId, viewerId, buyer.City, _live.City, first, clock.GetUtcNow()),
            (EventStreams.Rooms, RoomId), (EventStreams.Streamers, _live.StreamerId));
        return View();
    }

    public Task Leave(string viewerId)
    {
        RequireOpened();
        if (_audience.CurrentViewers.Remove(viewerId)) { _audienceDirty = true; _outbox.CountsChanged(); }
        return Task.CompletedTask;
    }

    public Task Like(string viewerId, int count)
    {
        if (count is <= 0 or > 1000) throw DomainException.Invalid("count", "count must be between 1 and 1000.");
        RequireViewerInLiveRoom(viewerId);
        _audience.Likes += count;
        _outbox.CountsChanged();
        _likesSinceFlush += count;
        if (_audience.Interactors.Add(viewerId)) _newInteractorsSinceFlush++;
        _audienceDirty = true;
        return Task.CompletedTask;
    }

    public Task<string> Comment(string viewerId, string text, string? key = null)
    {
        var clean = Text.Require(text, "text", _settings.MaxCommentLength);
        RequireViewerInLiveRoom(viewerId);
        if (_audience.BannedCommenters.Contains(viewerId)) throw DomainException.Forbidden("The streamer has barred you from commenting in this room.");
        var id = key is null ? Guid.NewGuid().ToString("N")[..16] : CommentIdOf(viewerId, key);
        // A repeat of a recent keyed comment (the front door's retry across a failover) answers the same comment.
        if (key is not null && !_commentKeys.Add(id)) return Task.FromResult(id);
        _audience.Comments++;
        _commentsSinceFlush++;
        if (_audience.Interactors.Add(viewerId)) _newInteractorsSinceFlush++;
        _audience.RecentComments.Add(new CommentView(viewerId, clean, clock.GetUtcNow(), id));
        _outbox.Comment(new ChannelComment(CommentAuthors.Handle(RoomId, viewerId), clean, clock.GetUtcNow(), id), TimeProvider.System.GetUtcNow());
        if (_audience.RecentComments.Count > _settings.RecentComments) _audience.RecentComments.RemoveAt(0);
        _audienceDirty = true;
        return Task.FromResult(id);
    }

    /// <summary>Ids of this activation's recent keyed comments (memory: a comment itself is not durable either).</summary>
    private readonly Analytics.RecentKeys _commentKeys = new();

    private static string CommentIdOf(string viewerId, string key) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{viewerId}\n{key}")))[..16];

    public Task Share(string viewerId)
    {
        RequireViewerInLiveRoom(viewerId);
        _audience.Shares++;
        _outbox.CountsChanged();
        _sharesSinceFlush++;
        if (_audience.Interactors.Add(viewerId)) _newInteractorsSinceFlush++;
        _audienceDirty = true;
        return Task.CompletedTask;
    }

    public Task<RoomView> GetView()
    {
        RequireOpened();
        return Task.FromResult(View());
    }

    // ---- stock ------------------------------------------------------------------------------------

    public async Task<ReserveResult> Reserve(ReserveRequest request)
    {
        RequireOpened();
        if (_open.TryGetValue(request.OrderId, out var existing))
        {
            // A retry of a reservation that was made (and persisted) before: same answer.
            await _lineWriter.WriteAsync();
            return Reserved(_live.Shelf[existing.ProductId], existing.UnitPrice);
        }
        var open = _live.Status == RoomStatus.Live || request.StandingAuthorization && _live.Status == RoomStatus.Ended;
        if (!open) return Refused(ReserveOutcome.RoomNotLive);
        if (!_live.Shelf.TryGetValue(request.ProductId, out var item)) return Refused(ReserveOutcome.NotOnShelf);
        if (!IsSelling(item)) return Refused(ReserveOutcome.OfferWithdrawn, item);
        if (request.Quantity <= 0) throw DomainException.Invalid("quantity", "quantity must be positive.");
        if (request.Quantity > item.PerOrderLimit) return Refused(ReserveOutcome.OverPerOrderLimit, item);
        if (OpenOrderCapProblem(request.BuyerId, item.ProductId) is { } cap) return Refused(ReserveOutcome.OpenOrderLimit, item, cap);
        if (item.StockLeft < request.Quantity) return Refused(ReserveOutcome.SoldOut, item);

        // Check and take in one turn: no other call runs between these lines, so no unit is taken twice, and no buyer
        // holds more open orders than the caps.
        item.Reserved += request.Quantity;
        var line = new StockLine(request.OrderId, item.ProductId, request.BuyerId, request.Quantity, item.LivePrice, request.ExpiresAt, StockLineStatus.Reserved, 0,
            request.PlacedAt == default ? clock.GetUtcNow() : request.PlacedAt, SeedOf(request, item));
        _open[request.OrderId] = line;
        CountOpen(line, +1);
        Change(line);
        _outbox.StockChanged(item.ProductId);
        var price = item.LivePrice;
        await _lineWriter.WriteAsync();
        EnsureSweepReminder();
        return Reserved(item, price);
    }

    public async Task<CommitResult> Commit(string orderId, long amountPaid)
    {
        RequireOpened();
        if (!_open.Remove(orderId, out var reservation))
        {
            // Not open: either this commit was done before (the line is sold) or the reservation is gone.
            var line = _changedLines.GetValueOrDefault(orderId) ?? await stockLedger.FindAsync(RoomId, orderId);
            if (line?.Status is StockLineStatus.Sold or StockLineStatus.Returned)
            {
                await _lineWriter.WriteAsync();
                return new CommitResult(CommitOutcome.Committed);
            }
            logger.LogWarning("Commit for order {OrderId} in room {RoomId} found no reservation ({Status})", orderId, RoomId, line?.Status);
            return new CommitResult(CommitOutcome.NotReserved);
        }
        CountOpen(reservation, -1);
        var item = _live.Shelf[reservation.ProductId];
        item.Reserved -= reservation.Quantity;
        item.Sold += reservation.Quantity;
        _gmv += amountPaid;
        _ordersPaid++;
        _outbox.Sold(item.ProductId, item.Name, reservation.Quantity, clock.GetUtcNow());
        Change(reservation with { Status = StockLineStatus.Sold, Amount = amountPaid });
        await _lineWriter.WriteAsync();
        return new CommitResult(CommitOutcome.Committed);
    }

    public async Task Release(string orderId)
    {
        RequireOpened();
        if (!ReleaseInMemory(orderId)) return;
        await _lineWriter.WriteAsync();
    }

    public async Task ReturnSold(string orderId, string productId, int quantity, long amount)
    {
        RequireOpened();
        var line = _changedLines.GetValueOrDefault(orderId) ?? await stockLedger.FindAsync(RoomId, orderId);
        if (line is null || line.Status != StockLineStatus.Sold) return; // never sold here, or already returned
        if (_changedLines.GetValueOrDefault(orderId)?.Status == StockLineStatus.Returned) return; // returned by an interleaved call
        var item = ShelfItemOrThrow(line.ProductId);
        item.Sold -= line.Quantity;
        _refundedAmount += line.Amount;
        _outbox.StockChanged(line.ProductId);
        Change(line with { Status = StockLineStatus.Returned });
        await _lineWriter.WriteAsync();
    }

    public async Task<int> ExpireDueReservations()
    {
        if (_sweeping || !_live.Opened) return 0;
        _sweeping = true;
        try
        {
            var now = clock.GetUtcNow();
            var due = _open.Where(r => r.Value.ExpiresAt <= now).Select(r => r.Key).ToList();
            var released = 0;
            foreach (var chunk in due.Chunk(SweepParallelism))
            {
                // The order decides: it agrees to expire (durably cancelled) only when no payment has arrived.
                var answers = await Task.WhenAll(chunk.Select(async id => (id, expire: await AskOrderToExpire(id))));
                foreach (var (id, expire) in answers)
                    if (expire && ReleaseInMemory(id)) released++;
            }
            if (released > 0) await _lineWriter.WriteAsync();
            if (_open.Count == 0) await RemoveSweepReminderAsync();
            if (released > 0) logger.LogInformation("Room {RoomId} released {Count} expired reservation(s)", RoomId, released);
            return released;
        }
        finally
        {
            _sweeping = false;
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == SweepReminder) await ExpireDueReservations();
    }

    // ---- internals --------------------------------------------------------------------------------

    private async Task<bool> AskOrderToExpire(string orderId)
    {
        try
        {
            return await GrainFactory.Ref<IOrderGrain>(orderId).TryExpire();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Order {OrderId} did not answer the expiry check; will ask again", orderId);
            return false;
        }
    }

    private bool ReleaseInMemory(string orderId)
    {
        if (!_open.Remove(orderId, out var reservation)) return false;
        CountOpen(reservation, -1);
        _live.Shelf[reservation.ProductId].Reserved -= reservation.Quantity;
        _outbox.StockChanged(reservation.ProductId);
        Change(reservation with { Status = StockLineStatus.Released });
        return true;
    }

    /// <summary>Why the buyer may not open another order for the product here (the hoarding caps), or null.</summary>
    private string? OpenOrderCapProblem(string buyerId, string productId)
    {
        var perProduct = _settings.MaxOpenOrdersPerBuyerPerProduct;
        if (perProduct > 0 && _openByBuyerProduct.GetValueOrDefault((buyerId, productId)) >= perProduct)
            return $"You already hold {perProduct} unpaid order(s) for this product, the most allowed; pay or cancel one first.";
        var perRoom = _settings.MaxOpenOrdersPerBuyerPerRoom;
        if (perRoom > 0 && _openByBuyer.GetValueOrDefault(buyerId) >= perRoom)
            return $"You already hold {perRoom} unpaid order(s) in this room, the most allowed; pay or cancel one first.";
        return null;
    }

    private void CountOpen(StockLine line, int delta)
    {
        Bump(_openByBuyer, line.BuyerId, delta);
        Bump(_openByBuyerProduct, (line.BuyerId, line.ProductId), delta);

        static void Bump<TKey>(Dictionary<TKey, int> counts, TKey key, int delta) where TKey : notnull
        {
            var n = counts.GetValueOrDefault(key) + delta;
            if (n > 0) counts[key] = n;
            else counts.Remove(key);
        }
    }

    /// <summary>Whether the listing takes orders: admitted under an offer that has not told the room to stop.</summary>
    private bool IsSelling(ShelfItem item) =>
        item.OfferVersion > 0 && !(_live.OfferStops.TryGetValue(item.ProductId, out var stop) && stop >= item.OfferVersion);

    private ShelfItemView ViewOf(ShelfItem item) => item.View(IsSelling(item));

    private void EnsureSweepReminder()
    {
        if (_sweepReminderRegistered) return;
        _sweepReminderRegistered = true;
        // The timer sweeps while the room is active; the reminder brings an idle room back to sweep.
        _ = RegisterSweepReminderAsync();
    }

    private async Task RegisterSweepReminderAsync()
    {
        try
        {
            await this.RegisterOrUpdateReminder(SweepReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        catch (Exception e)
        {
            _sweepReminderRegistered = false;
            logger.LogWarning(e, "Could not register the reservation sweep reminder of room {RoomId}", RoomId);
        }
    }

    private async Task RemoveSweepReminderAsync()
    {
        if (!_sweepReminderRegistered) return;
        _sweepReminderRegistered = false;
        var reminder = await this.GetReminder(SweepReminder);
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    private async Task SweepTickAsync(CancellationToken cancellationToken)
    {
        if (_open.Count > 0) await ExpireDueReservations();
    }

    private async Task FlushAudienceAsync(CancellationToken cancellationToken)
    {
        if (!_audienceDirty || !_live.Opened) return;
        _audienceDirty = false;
        var now = clock.GetUtcNow();
        var batch = new RoomInteractions(RoomId, _live.StreamerId, _likesSinceFlush, _commentsSinceFlush, _sharesSinceFlush,
            _newInteractorsSinceFlush, _lastFlush, now);
        _likesSinceFlush = _commentsSinceFlush = _sharesSinceFlush = _newInteractorsSinceFlush = 0;
        _lastFlush = now;
        try
        {
            await audience.WriteSnapshotAsync(_audience, copier);
        }
        catch (Orleans.Storage.InconsistentStateException e)
        {
            // Another activation of the room wrote its audience since this one loaded it (a silo handing its grains
            // over): no later write of this one can succeed, so it leaves and the next activation loads the other's.
            // The viewers this one saw since its last write are lost, as in a crash.
            _audienceSuperseded = true;
            logger.LogWarning(e, "Room {RoomId}'s audience was written by another activation; deactivating to load it", RoomId);
            DeactivateOnIdle();
        }
        catch (Exception e)
        {
            _audienceDirty = true;
            logger.LogWarning(e, "Could not persist the audience of room {RoomId}; will retry at the next flush", RoomId);
        }
        if (batch.Likes + batch.Comments + batch.Shares > 0)
            await this.PublishAsync(logger, batch, (EventStreams.Rooms, RoomId), (EventStreams.Streamers, _live.StreamerId));
    }

    /// <summary>
    /// Records the new price in the product's history and checks it against the history before it (the price-deviation
    /// rule): a price far below the historical average is flagged on the shelf and reported to risk operators.
    /// </summary>
    private async Task<(long Reference, string? Flag)> CheckPriceAsync(string productId, long price, string merchantId)
    {
        var before = await GrainFactory.Ref<IProductGrain>(productId).RecordPrice(price, clock.GetUtcNow());
        var rules = await GrainFactory.Ref<IRiskRulesGrain>(RiskRulesKey).GetRules();
        var rule = rules.Find(RiskRuleCatalog.PriceDeviation);
        if (rule is not { Enabled: true }) return (before.HistoricalAveragePrice, null);
        var reason = RiskEngine.PriceDeviation(rule, price, before.HistoricalAveragePrice);
        if (reason is null) return (before.HistoricalAveragePrice, null);
        var hit = new RiskHit(rule.RuleId, rule.Action, rule.Severity, reason);
        var alert = new RiskAlert($"price:{RoomId}:{productId}:{price}:{clock.GetUtcNow().ToUnixTimeMilliseconds()}", clock.GetUtcNow(), "price",
            RiskVerdict.Review, [hit], null, merchantId, RoomId, productId, null, null, "price");
        try { await GrainFactory.Ref<IRiskAlertsGrain>(RiskRulesKey).Record(alert); }
        catch (Exception e) { logger.LogWarning(e, "Could not record the price alert of {ProductId}", productId); }
        return (before.HistoricalAveragePrice, reason);
    }

    private const string RiskRulesKey = "default";

    /// <summary>Tells the traffic pool how the room is doing (every flush interval while live, and when it ends).</summary>
    private async Task ReportToPoolAsync()
    {
        if (!_live.Opened || _live.Status == RoomStatus.Scheduled) return;
        var report = new RoomReport(RoomId, _live.StreamerId, _live.Title, _live.City, _live.Status == RoomStatus.Live, _live.StartedAt,
            _audience.UniqueViewers.Count, _audience.Likes + _audience.Comments + _audience.Shares, _ordersPaid, clock.GetUtcNow());
        try { await GrainFactory.Ref<ITrafficPoolGrain>(TrafficPool.Key).Report(report); }
        catch (Exception e) { logger.LogDebug(e, "Room {RoomId} could not report to the traffic pool", RoomId); }
    }

    public Task<RoomQuote> Quote(string productId)
    {
        RequireOpened();
        return Task.FromResult(_live.Shelf.TryGetValue(productId, out var item)
            ? new RoomQuote(_live.Status, true, _live.StreamerId, item.MerchantId, item.LivePrice, item.ReferencePrice, item.FlashSale, item.Category)
            : new RoomQuote(_live.Status, false, _live.StreamerId, null, 0, 0));
    }

    private void OnWriteFailed(Exception e)
    {
        // Memory now holds changes whose callers were told they failed: reload from storage.
        logger.LogError(e, "Room {RoomId} failed to persist its state; deactivating to reload", RoomId);
        DeactivateOnIdle();
    }

    /// <summary>The order's seed completed with the shelf facts it was ordered under.</summary>
    private string? SeedOf(ReserveRequest request, ShelfItem item) => request.Seed is null ? null
        : Orders.OrderSeedCodec.Write(request.Seed.WithShelf(item.MerchantId, _live.StreamerId, _live.City, item.Category, item.ListPrice, item.SplitPlan));

    private ReserveResult Reserved(ShelfItem item, long unitPrice) =>
        new(ReserveOutcome.Reserved, item.MerchantId, _live.StreamerId, unitPrice, item.SplitPlan, item.StockLeft, _live.City, item.ListPrice, item.Category);

    private ReserveResult Refused(ReserveOutcome outcome, ShelfItem? item = null, string? detail = null) =>
        new(outcome, item?.MerchantId, _live.StreamerId, item?.LivePrice ?? 0, null, item?.StockLeft ?? 0, _live.City, item?.ListPrice ?? 0, item?.Category, detail);

    private void RequireOpened()
    {
        if (!_live.Opened) throw DomainException.NotFound("room", RoomId);
    }

    private void RequireOwner(string streamerId)
    {
        RequireOpened();
        if (_live.StreamerId != streamerId) throw DomainException.Forbidden($"Room '{RoomId}' belongs to another streamer.");
    }

    private void RequireNotEnded()
    {
        if (_live.Status == RoomStatus.Ended)
            throw DomainException.Conflict("room.ended", "The live session has ended.", nameof(RoomStatus.Ended));
    }

    private void RequireViewerInLiveRoom(string viewerId)
    {
        RequireOpened();
        if (_live.Status != RoomStatus.Live)
            throw DomainException.Conflict("room.not_live", "The room is not live.", _live.Status.ToString());
        if (!_audience.CurrentViewers.Contains(viewerId))
            throw DomainException.Conflict("room.viewer_not_joined", "Join the room first.");
    }

    private ShelfItem ShelfItemOrThrow(string productId) =>
        _live.Shelf.TryGetValue(productId, out var item)
            ? item
            : throw DomainException.Conflict("shelf.not_listed", $"Product '{productId}' is not on this room's shelf.");

    private RoomView View() =>
        new(RoomId, _live.StreamerId, _live.Title, _live.City, _live.Status, _audience.CurrentViewers.Count, _audience.UniqueViewers.Count,
            _audience.Likes, _audience.Comments, _audience.Shares, _gmv, _ordersPaid,
            _live.Shelf.Values.OrderBy(i => i.ProductId, StringComparer.Ordinal).Select(ViewOf).ToList(),
            _audience.RecentComments.ToList(), _live.StartedAt, _live.EndedAt, _live.PinnedProductId);
}
