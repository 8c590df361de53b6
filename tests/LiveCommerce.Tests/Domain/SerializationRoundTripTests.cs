using System.Collections;
using System.Reflection;
using System.Text.Json;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Orders;
using LiveCommerce.Grains.Payments.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace LiveCommerce.Tests.Domain;

/// <summary>
/// Every persisted grain state and every type that crosses a grain call goes through Orleans' serializer and comes
/// back equal, with lists built the way the code builds them (collection expressions, LINQ). Defect 10 of issue 13:
/// a reviewed order's record could not be read back once its activation was collected.
/// </summary>
public sealed class SerializationRoundTripTests
{
    private static readonly Assembly[] Assemblies = [typeof(OrderView).Assembly, typeof(OrderState).Assembly];
    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => { foreach (var a in Assemblies) b.AddAssembly(a); })
        .BuildServiceProvider().GetRequiredService<Serializer>();
    private static readonly JsonSerializerOptions Json = new() { IncludeFields = false, WriteIndented = false, MaxDepth = 64 };
    private static readonly DateTimeOffset At = new(2026, 11, 24, 10, 30, 15, 123, TimeSpan.FromHours(8));

    public static TheoryData<string> SerializableTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in Assemblies.SelectMany(a => a.GetTypes())
                     .Where(t => t.GetCustomAttribute<GenerateSerializerAttribute>() is not null && !t.IsAbstract && !t.ContainsGenericParameters
                                 && !typeof(Exception).IsAssignableFrom(t))
                     .OrderBy(t => t.FullName))
            data.Add(type.AssemblyQualifiedName!);
        return data;
    }

    [Theory]
    [MemberData(nameof(SerializableTypes))]
    public void Every_serializable_type_round_trips_with_realistic_values(string typeName)
    {
        var type = Type.GetType(typeName, throwOnError: true)!;
        AssertRoundTrips(Sample(type, depth: 0)!);
    }

    [Fact]
    public void Every_persisted_grain_state_is_a_serializable_type()
    {
        var states = typeof(OrderState).Assembly.GetTypes()
            .SelectMany(t => t.GetConstructors().SelectMany(c => c.GetParameters()))
            .Select(p => p.ParameterType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IPersistentState<>))
            .Select(t => t.GetGenericArguments()[0])
            .Where(t => !t.IsGenericParameter)
            .Append(typeof(OrderState)) // read through LazyGrainState
            .Distinct().ToList();
        Assert.True(states.Count >= 15, $"only {states.Count} persisted states found");
        Assert.All(states, t => Assert.True(t.GetCustomAttribute<GenerateSerializerAttribute>() is not null, $"{t.Name} is persisted but has no [GenerateSerializer]"));
    }

    [Fact]
    public void A_reviewed_orders_state_round_trips()
    {
        var plan = new SplitPlan([new SplitShare(PartyRole.Seller, "m", 7000), new SplitShare(PartyRole.Streamer, "s", 2500), new SplitShare(PartyRole.Platform, "platform", 500)]);
        var state = new OrderState
        {
            Exists = true, BuyerId = "b", RoomId = "r", StreamerId = "s", MerchantId = "m", ProductId = "p", Quantity = 2, UnitPrice = 3000,
            Amount = 6000, Status = OrderStatus.Paid, PlacedAt = At, PaymentDeadline = At.AddMinutes(15), PaidAt = At.AddMinutes(1), Plan = plan,
            PaidPaymentId = "pay-o-1", PaidAmount = 6000, OnHold = false,
            Payments = [new PaymentAttempt { PaymentId = "pay-o-1", CreatedAt = At, Status = AttemptStatus.Succeeded, Captured = 6000 }],
            Lines = plan.Shares.Select((s, i) => new SplitLine { Role = s.Role, AccountId = s.AccountId, BasisPoints = s.BasisPoints, Amount = 2000, Sequence = i }).ToList(),
            RiskDecisions =
            [
                new RiskDecisionView(RiskVerdict.Review, new[] { "price-anomaly: 40% below" }.Select(r => r).ToList(), "placement", At),
                new RiskDecisionView(RiskVerdict.Allow, [], "payment", At),
                new RiskDecisionView(RiskVerdict.Allow, [$"review.released by admin: ok"], "review", At),
                new RiskDecisionView(RiskVerdict.Reject, ["a", "b"], "review", At),
            ],
            LegacyOutbox = [new OutboxItem { Id = 1, Kind = OutboxKind.ReviewQueueDecided, Channel = "review", At = At, Note = "Release|admin" }],
            Outbox = [new MarkReviewDecided(ReviewDecision.Release, "admin", At) { Seq = 2 }, new PostToAccount("m", new AccountPosting("o:m:1", "o", PostingKind.Confirm, 2000, At, 1, 7000)) { Seq = 3 },
                new ReleaseRoomStock { Seq = 4 }],
            Carrier = "sandbox", Tracking = [new TrackingEntry { EventId = "e1", Status = LogisticsStatus.Delivered, OccurredAt = At, ReceivedAt = At }],
            OpenCaseId = "o:as1", CasesByKey = { ["k"] = "o:as1" },
        };
        AssertRoundTrips(state);
        AssertRoundTrips(new ReconciliationState
        {
            Checkpoint = At, RepairsByKind = { ["lost_callback_applied"] = 2 },
            RecentActions = [new ReconciliationAction(At, "pay-1", "o-1", "lost_callback_applied", 100)],
            RecentUnmatched = [new UnmatchedPayment(At, "callback", "pay-fake", "o-1", 30000, true, "payment.unknown_attempt")],
        });
    }

    private static void AssertRoundTrips(object value)
    {
        var bytes = Serializer.SerializeToArray<object>(value);
        var back = Serializer.Deserialize<object>(bytes)!;
        Assert.Equal(value.GetType(), back.GetType());
        Assert.Equal(JsonSerializer.Serialize(value, value.GetType(), Json), JsonSerializer.Serialize(back, back.GetType(), Json));
    }

    // ---- sample values: every member set, interface-typed lists built as collection expressions build them ----

    private static object? Sample(Type type, int depth)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner) return Sample(inner, depth);
        if (type == typeof(string)) return "text-" + depth;
        if (type == typeof(bool)) return true;
        if (type == typeof(int)) return 7 + depth;
        if (type == typeof(long)) return 123_456_789_012L;
        if (type == typeof(short)) return (short)3;
        if (type == typeof(byte)) return (byte)2;
        if (type == typeof(uint)) return 9u;
        if (type == typeof(ulong)) return 11UL;
        if (type == typeof(double)) return 1.25;
        if (type == typeof(float)) return 2.5f;
        if (type == typeof(decimal)) return 12.34m;
        if (type == typeof(DateTimeOffset)) return At;
        if (type == typeof(DateTime)) return At.UtcDateTime;
        if (type == typeof(DateOnly)) return DateOnly.FromDateTime(At.UtcDateTime);
        if (type == typeof(TimeOnly)) return new TimeOnly(3, 4);
        if (type == typeof(TimeSpan)) return TimeSpan.FromMinutes(90);
        if (type == typeof(Guid)) return new Guid("0f8fad5b-d9cb-469f-a165-70867728950e");
        if (type.IsEnum) { var values = Enum.GetValues(type); return values.GetValue(values.Length - 1); }
        if (type.IsArray) return Fill(Array.CreateInstance(type.GetElementType()!, 2), type.GetElementType()!, depth);
        if (type.IsGenericType)
        {
            var def = type.GetGenericTypeDefinition();
            var args = type.GetGenericArguments();
            if (def == typeof(IReadOnlyList<>) || def == typeof(IReadOnlyCollection<>) || def == typeof(IEnumerable<>) || def == typeof(IList<>) || def == typeof(ICollection<>))
                return typeof(SerializationRoundTripTests).GetMethod(nameof(Literal), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(args[0]).Invoke(null, [Sample(args[0], depth + 1), Sample(args[0], depth + 1)]);
            if (def == typeof(List<>) || def == typeof(HashSet<>) || def == typeof(Queue<>) || def == typeof(SortedSet<>))
            {
                var list = Activator.CreateInstance(type)!;
                var add = type.GetMethod("Add") ?? type.GetMethod("Enqueue")!;
                if (depth < 4) add.Invoke(list, [Sample(args[0], depth + 1)]);
                return list;
            }
            if (def == typeof(Dictionary<,>) || def == typeof(IReadOnlyDictionary<,>) || def == typeof(IDictionary<,>) || def == typeof(SortedDictionary<,>))
            {
                var concrete = def == typeof(SortedDictionary<,>) ? type : typeof(Dictionary<,>).MakeGenericType(args);
                var map = (IDictionary)Activator.CreateInstance(concrete)!;
                if (depth < 4) map[Sample(args[0], depth + 1)!] = Sample(args[1], depth + 1);
                return map;
            }
        }
        if (depth > 5) return null;
        if (type.IsInterface || type.IsAbstract) return null;

        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        object instance;
        if (ctor is null) instance = Activator.CreateInstance(type)!; // a struct
        else instance = ctor.Invoke(ctor.GetParameters().Select(p => Sample(p.ParameterType, depth + 1)).ToArray());
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0))
        {
            if (ctor is not null && ctor.GetParameters().Any(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase))) continue;
            property.SetValue(instance, Sample(property.PropertyType, depth + 1));
        }
        return instance;
    }

    private static Array Fill(Array array, Type element, int depth)
    {
        for (var i = 0; i < array.Length; i++) array.SetValue(Sample(element, depth + 1), i);
        return array;
    }

    /// <summary>What <c>IReadOnlyList&lt;T&gt; x = [a, b]</c> builds: a compiler-synthesized read-only list.</summary>
    private static IReadOnlyList<T> Literal<T>(T a, T b) => [a, b];
}
