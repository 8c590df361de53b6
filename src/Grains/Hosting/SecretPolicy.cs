using System.Text;
using LiveCommerce.Grains.Orders;
using LiveCommerce.Grains.Payments.Gateway;
using Npgsql;

namespace LiveCommerce.Grains.Hosting;

/// <summary>The secrets a host holds; each host checks only the ones it uses.</summary>
[Flags]
public enum HostSecrets
{
    None = 0,
    /// <summary>HMAC key of the payment provider's callbacks (the silo signs, the front door verifies).</summary>
    CallbackSecret = 1,
    /// <summary>HS256 key of the bearer tokens (front door).</summary>
    SigningKey = 2,
    /// <summary>Password in the PostgreSQL connection string.</summary>
    DatabasePassword = 4,
    /// <summary>RSA key that signs apps' OAuth tokens (front door).</summary>
    OAuthSigningKey = 8,
    /// <summary>HMAC key of the carrier's logistics callbacks (front door).</summary>
    LogisticsCallbackSecret = 16,

    Silo = CallbackSecret | DatabasePassword,
    FrontDoor = CallbackSecret | SigningKey | DatabasePassword | OAuthSigningKey | LogisticsCallbackSecret,
}

/// <summary>Thrown at start-up when a secret is missing, a shipped default or a placeholder.</summary>
public sealed class InsecureSecretException(string message) : InvalidOperationException(message);

/// <summary>
/// The one start-up check of secrets, run by the front door and the silo. Outside the embedded profile a host refuses
/// to start with a missing secret, a default shipped in code or appsettings.json, or a placeholder from the manifests:
/// anyone who reads the repository knows those values (a known JWT key mints admin tokens, a known callback secret
/// marks orders paid). The embedded profile is a single process on loopback for development and keeps its defaults.
/// </summary>
public static class SecretPolicy
{
    public const string CallbackSecretSetting = SandboxGatewayOptions.Section + ":CallbackSecret";
    public const string LogisticsCallbackSecretSetting = SandboxCarrierOptions.Section + ":CallbackSecret";
    public const string SigningKeySetting = "LiveCommerce:Auth:SigningKey";
    public const string ConnectionStringSetting = "LiveCommerce:Postgres:ConnectionString";
    public const string OAuthKeyPemSetting = "LiveCommerce:OAuth:SigningKeyPem";
    public const string OAuthKeyPathSetting = "LiveCommerce:OAuth:SigningKeyPath";

    /// <summary>The signing key shipped in the front door's appsettings.json for the embedded profile.</summary>
    public const string DevelopmentSigningKey = "embedded-development-signing-key-not-for-production-0123456789";

    /// <summary>HMAC-SHA256 keys shorter than the hash add nothing but guessability.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>Values shipped in this repository (code defaults, appsettings.json, scripts' examples).</summary>
    private static readonly HashSet<string> KnownValues = new(StringComparer.OrdinalIgnoreCase)
    {
        new SandboxGatewayOptions().CallbackSecret,
        SandboxCarrierOptions.DevelopmentCallbackSecret,
        DevelopmentSigningKey,
        "livecommerce", "postgres", "password", "secret", "admin", "changeit",
    };

    /// <summary>Fragments of placeholders (compared without case and punctuation): CHANGE-ME, REPLACE_ME, ...</summary>
    private static readonly string[] PlaceholderFragments =
        ["changeme", "replaceme", "placeholder", "notforproduction", "fordevelopmentonly", "yoursecret", "yourkey", "yourpassword"];

    /// <summary>Throws <see cref="InsecureSecretException"/> naming every setting at fault; does nothing in the embedded profile.</summary>
    public static void Ensure(IConfiguration configuration, HostSecrets secrets)
    {
        var options = LiveCommerceOptions.From(configuration);
        if (options.Profile == HostingProfile.Embedded) return;
        var problems = Problems(configuration, secrets);
        if (problems.Count == 0) return;
        throw new InsecureSecretException(
            $"Refusing to start in the {options.Profile} profile: " + string.Join(" ", problems) +
            " Generate values with `openssl rand -hex 32` and pass them as environment variables (LiveCommerce__...), or from a Kubernetes Secret.");
    }

    /// <summary>One sentence per setting at fault, naming the setting (never its value).</summary>
    public static List<string> Problems(IConfiguration configuration, HostSecrets secrets)
    {
        var problems = new List<string>();
        if (secrets.HasFlag(HostSecrets.CallbackSecret))
        {
            // Unset means the code default, which is public.
            var value = configuration[CallbackSecretSetting] ?? new SandboxGatewayOptions().CallbackSecret;
            if (KeyProblem(value) is { } p) problems.Add($"{CallbackSecretSetting} {p}.");
        }
        if (secrets.HasFlag(HostSecrets.LogisticsCallbackSecret))
        {
            var value = configuration[LogisticsCallbackSecretSetting] ?? SandboxCarrierOptions.DevelopmentCallbackSecret;
            if (KeyProblem(value) is { } p) problems.Add($"{LogisticsCallbackSecretSetting} {p}.");
            // One key per provider: with the payment key, whoever reports parcels could also sign payments.
            else if (value == (configuration[CallbackSecretSetting] ?? new SandboxGatewayOptions().CallbackSecret))
                problems.Add($"{LogisticsCallbackSecretSetting} must differ from {CallbackSecretSetting}.");
        }
        if (secrets.HasFlag(HostSecrets.SigningKey))
        {
            if (KeyProblem(configuration[SigningKeySetting]) is { } p) problems.Add($"{SigningKeySetting} {p}.");
        }
        if (secrets.HasFlag(HostSecrets.OAuthSigningKey) && RsaKeyProblem(configuration[OAuthKeyPemSetting], configuration[OAuthKeyPathSetting]) is { } rsa)
            problems.Add($"{OAuthKeyPemSetting} (or {OAuthKeyPathSetting}) {rsa}.");
        if (secrets.HasFlag(HostSecrets.DatabasePassword))
        {
            var connectionString = configuration[ConnectionStringSetting] ?? new PostgresSettings().ConnectionString;
            if (PasswordProblem(connectionString) is { } p) problems.Add($"{ConnectionStringSetting}: {p}.");
        }
        return problems;
    }

    /// <summary>Why a key is unacceptable, or null.</summary>
    public static string? KeyProblem(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "is missing";
        if (Known(value) is { } known) return known;
        if (Encoding.UTF8.GetByteCount(value) < MinKeyBytes) return $"must be at least {MinKeyBytes} bytes";
        return null;
    }

    /// <summary>Why the apps' token signing key is unacceptable, or null: an RSA private key (PEM) of 2048 bits or more.</summary>
    public static string? RsaKeyProblem(string? pem, string? path)
    {
        if (string.IsNullOrWhiteSpace(pem) && !string.IsNullOrWhiteSpace(path))
        {
            if (!File.Exists(path)) return "names a file that does not exist";
            pem = File.ReadAllText(path);
        }
        if (string.IsNullOrWhiteSpace(pem)) return "is missing";
        using var rsa = System.Security.Cryptography.RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            rsa.ExportParameters(includePrivateParameters: true); // a public key alone cannot sign
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException) { return "is not an RSA private key in PEM"; }
        return rsa.KeySize < 2048 ? "must have at least 2048 bits" : null;
    }

    /// <summary>Why the connection string's password is unacceptable, or null.</summary>
    public static string? PasswordProblem(string connectionString)
    {
        string? password;
        try { password = new NpgsqlConnectionStringBuilder(connectionString).Password; }
        catch (ArgumentException) { return "cannot be parsed as a PostgreSQL connection string"; }
        if (string.IsNullOrEmpty(password)) return "the password is missing";
        return Known(password) is { } known ? "the password " + known : null;
    }

    private static string? Known(string value)
    {
        if (KnownValues.Contains(value.Trim())) return "is a default shipped with the code";
        var letters = new string(value.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        return PlaceholderFragments.Any(letters.Contains) ? "is a placeholder" : null;
    }
}
