using System.Security.Cryptography;

namespace LiveCommerce.Tests.Support;

/// <summary>Random secrets for hosts started outside the embedded profile, which refuse known and placeholder values.</summary>
public static class TestSecrets
{
    public static readonly string CallbackSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    /// <summary>The carrier's logistics callback key: its own, never the payment one.</summary>
    public static readonly string LogisticsCallbackSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public static readonly string SigningKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    /// <summary>RSA key (PEM) that signs apps' OAuth tokens.</summary>
    public static readonly string OAuthSigningKeyPem = RSA.Create(2048).ExportPkcs8PrivateKeyPem();
    public const string DatabasePassword = "a-test-database-password-7f3c";

    public static string ConnectionString(string password = DatabasePassword) =>
        $"Host=127.0.0.1;Port=5432;Database=lc_absent;Username=lc_absent;Password={password};SSL Mode=Disable";
}
