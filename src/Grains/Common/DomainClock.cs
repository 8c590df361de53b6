namespace LiveCommerce.Grains.Common;

/// <summary>
/// The clock of the business: payment deadlines, auto-confirmation, settlement days, risk windows. It is a keyed
/// <see cref="TimeProvider"/> (<see cref="TimeProvider.System"/> in production) rather than the unkeyed one, because
/// Orleans runs its own timers and timeouts on the unkeyed provider: tests move this clock with a FakeTimeProvider
/// without freezing the runtime.
/// </summary>
public static class DomainClock
{
    public const string Key = "LiveCommerce.DomainClock";
}
