namespace LiveCommerce.Grains.Orders;

/// <summary>The sandbox carrier's callback settings (<c>LiveCommerce:Logistics:Sandbox</c>).</summary>
public sealed class SandboxCarrierOptions
{
    public const string Section = "LiveCommerce:Logistics:Sandbox";

    /// <summary>The development key shipped with the code: the embedded profile only (<c>SecretPolicy</c> refuses it elsewhere).</summary>
    public const string DevelopmentCallbackSecret = "sandbox-carrier-callback-secret-for-development-only";

    /// <summary>
    /// HMAC key of the carrier's callbacks: its own key, not the payment provider's, so a carrier (or a leak of its
    /// key) can report parcels but never sign a payment, and either key can be rotated alone.
    /// </summary>
    public string CallbackSecret { get; set; } = DevelopmentCallbackSecret;
}
