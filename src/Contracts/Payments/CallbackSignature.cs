using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LiveCommerce.Contracts.Payments;

/// <summary>
/// HMAC-SHA256 signature of a payment callback, in the header <c>X-Payment-Signature: t=UNIX_SECONDS,v1=HEX</c>.
/// The signed text is <c>t + "." + raw body</c>, so neither the body nor the timestamp can be changed, and an old
/// callback cannot be replayed outside the tolerance window.
/// </summary>
public static class CallbackSignature
{
    public const string Header = "X-Payment-Signature";

    public static string Sign(string secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexString(Mac(secret, t, body)).ToLowerInvariant()}";
    }

    /// <summary>True when <paramref name="header"/> is a valid signature of <paramref name="body"/> made within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!TryParse(header, now, tolerance, out var t, out var given)) return false;
        return CryptographicOperations.FixedTimeEquals(Mac(secret, t, body), given);
    }

    /// <summary>
    /// True when <paramref name="header"/> is well formed (a timestamp within <paramref name="tolerance"/> of
    /// <paramref name="now"/> and a 32-byte hex MAC), before any body is read: callers refuse anything else cheaply.
    /// </summary>
    public static bool IsWellFormed(string? header, DateTimeOffset now, TimeSpan tolerance) => TryParse(header, now, tolerance, out _, out _);

    private static bool TryParse(string? header, DateTimeOffset now, TimeSpan tolerance, out string t, out byte[] mac)
    {
        (t, mac) = ("", []);
        if (string.IsNullOrEmpty(header) || header.Length > 256) return false;
        string? time = null, v1 = null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal)) time = part[2..];
            else if (part.StartsWith("v1=", StringComparison.Ordinal)) v1 = part[3..];
        }
        if (time is null || v1 is null || v1.Length != 64 || !long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if (seconds < 0 || seconds > 253402300799) return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance) return false;
        try { mac = Convert.FromHexString(v1); }
        catch (FormatException) { return false; }
        t = time;
        return true;
    }

    private static byte[] Mac(string secret, string t, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(t + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}

/// <summary>The JSON body of a payment callback.</summary>
public sealed record PaymentCallback(
    string EventId,
    string Type,
    string PaymentId,
    string OrderId,
    long Amount,
    DateTimeOffset OccurredAt)
{
    public const string Processing = "payment.processing";
    public const string Succeeded = "payment.succeeded";
    public const string Failed = "payment.failed";
}
