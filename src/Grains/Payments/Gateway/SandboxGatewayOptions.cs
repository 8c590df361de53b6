namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>
/// The sandbox provider (<c>LiveCommerce:Payments:Sandbox</c>). Fault rates make it misbehave like real providers
/// do: duplicate, late, out-of-order and lost callbacks.
/// </summary>
public sealed class SandboxGatewayOptions
{
    public const string Section = "LiveCommerce:Payments:Sandbox";

    /// <summary>Where callbacks are POSTed: the front door's callback endpoint.</summary>
    public string CallbackUrl { get; set; } = "http://127.0.0.1:5080/v1/payments/callbacks/sandbox";

    /// <summary>HMAC key shared by the provider and the front door.</summary>
    public string CallbackSecret { get; set; } = "sandbox-callback-secret-for-development-only";

    /// <summary>Complete payments by themselves after <see cref="CompletionDelay"/> (the payer "pays").</summary>
    public bool AutoComplete { get; set; } = true;

    public TimeSpan CompletionDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Share of auto-completed payments that fail.</summary>
    public double FailureRate { get; set; }

    /// <summary>Share of callbacks delivered twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Share of callbacks never delivered (reconciliation must repair them).</summary>
    public double DropRate { get; set; }

    /// <summary>Share of payments whose stale "processing" event arrives after the final one.</summary>
    public double OutOfOrderRate { get; set; }

    /// <summary>Extra random delay of callbacks, up to this long (late callbacks).</summary>
    public TimeSpan MaxExtraDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Deliveries attempted while the front door answers with an error.</summary>
    public int DeliveryAttempts { get; set; } = 5;
}
