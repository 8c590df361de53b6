namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>
/// Exponential back-off from a fixed schedule: after failed attempt n (1-based) the next one is due schedule[n-1]
/// later; a failure after the last wait dead-letters the delivery. Plain class: tested without a silo.
/// </summary>
public sealed class WebhookRetryPolicy
{
    private readonly TimeSpan[] _schedule;

    public WebhookRetryPolicy(IEnumerable<TimeSpan> schedule)
    {
        _schedule = schedule.ToArray();
        if (_schedule.Length == 0 || _schedule.Any(s => s <= TimeSpan.Zero))
            throw new ArgumentException("A retry schedule has at least one positive wait.", nameof(schedule));
    }

    /// <summary>Attempts before the dead letter: the first one and one after every wait.</summary>
    public int MaxAttempts => _schedule.Length + 1;

    /// <summary>When to try again after <paramref name="attemptsMade"/> failed attempts, or null for the dead letter.</summary>
    public DateTimeOffset? NextAttemptAt(int attemptsMade, DateTimeOffset failedAt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsMade, 1);
        return attemptsMade > _schedule.Length ? null : failedAt + _schedule[attemptsMade - 1];
    }

    /// <summary>The outcome of an attempt: delivered, pending until a time, or dead.</summary>
    public (Contracts.Platform.WebhookDeliveryStatus Status, DateTimeOffset? NextAttemptAt) After(bool delivered, int attemptsMade, DateTimeOffset at)
    {
        if (delivered) return (Contracts.Platform.WebhookDeliveryStatus.Delivered, null);
        return NextAttemptAt(attemptsMade, at) is { } next
            ? (Contracts.Platform.WebhookDeliveryStatus.Pending, next)
            : (Contracts.Platform.WebhookDeliveryStatus.Dead, null);
    }
}
