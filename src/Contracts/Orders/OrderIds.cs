using System.Security.Cryptography;
using System.Text;

namespace LiveCommerce.Contracts.Orders;

/// <summary>
/// Order ids are derived from the buyer and the client's Idempotency-Key, so a retried request lands on the same
/// order grain and can never create a second order.
/// </summary>
public static class OrderIds
{
    public static string FromIdempotencyKey(string buyerId, string idempotencyKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{buyerId}\n{idempotencyKey}"));
        return "o-" + Convert.ToHexString(hash, 0, 12).ToLowerInvariant();
    }
}
