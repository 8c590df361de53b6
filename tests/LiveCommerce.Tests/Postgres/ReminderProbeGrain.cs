using System.Collections.Concurrent;

namespace LiveCommerce.Tests.Postgres;

/// <summary>Test-only grain that arms a reminder and counts its firings, to prove the reminder table works.</summary>
public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task Arm(TimeSpan dueTime);
    Task Disarm();
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";
    public static readonly ConcurrentDictionary<string, int> Fired = new();

    public async Task Arm(TimeSpan dueTime) =>
        await this.RegisterOrUpdateReminder(ReminderName, dueTime, TimeSpan.FromMinutes(1));

    public async Task Disarm()
    {
        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Fired.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
