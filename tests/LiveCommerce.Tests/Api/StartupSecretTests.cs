using System.Security.Cryptography;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// Outside the embedded profile the front door and the silo refuse to start with a missing, shipped-default or
/// placeholder callback secret, JWT signing key or database password, and say which setting is at fault.
/// </summary>
public sealed class StartupSecretTests
{
    private const string Callback = "LiveCommerce:Payments:Sandbox:CallbackSecret";
    private const string Signing = "LiveCommerce:Auth:SigningKey";
    private const string Connection = "LiveCommerce:Postgres:ConnectionString";
    private const string OAuthKey = "LiveCommerce:OAuth:SigningKeyPem";
    private const string Logistics = "LiveCommerce:Logistics:Sandbox:CallbackSecret";
    private const string DevelopmentSigningKey = "embedded-development-signing-key-not-for-production-0123456789";

    /// <summary>Good values for everything; each case spoils one.</summary>
    private static Dictionary<string, string?> Good() => new()
    {
        ["LiveCommerce:Profile"] = "Postgres",
        [Callback] = TestSecrets.CallbackSecret,
        [Signing] = TestSecrets.SigningKey,
        [Connection] = TestSecrets.ConnectionString(),
        [OAuthKey] = TestSecrets.OAuthSigningKeyPem,
        [Logistics] = TestSecrets.LogisticsCallbackSecret,
        ["LiveCommerce:Payments:Sandbox:CallbackUrl"] = "http://127.0.0.1:9/v1/payments/callbacks/sandbox",
    };

    public static TheoryData<string, string?> BadSecrets() => new()
    {
        { Callback, null }, // unset: the public code default
        { Callback, "" },
        { Callback, new SandboxGatewayOptions().CallbackSecret },
        { Callback, "CHANGE-ME-TO-32-OR-MORE-RANDOM-BYTES-openssl-rand-hex-32" },
        { Callback, "short-but-random-7f3c" },
        { Signing, null },
        { Signing, DevelopmentSigningKey },
        { Signing, "CHANGE-ME-TO-32-OR-MORE-RANDOM-BYTES-openssl-rand-hex-32" },
        { Signing, "replace_me_with_a_real_key_of_32_bytes_or_more" },
        { Connection, null }, // unset: the code default, password "livecommerce"
        { Connection, TestSecrets.ConnectionString("livecommerce") },
        { Connection, TestSecrets.ConnectionString("CHANGE-ME") },
        { Connection, "Host=127.0.0.1;Database=livecommerce;Username=livecommerce" },
        { OAuthKey, null }, // apps' tokens would be signed with a key nobody else can verify
        { OAuthKey, "CHANGE-ME-openssl-genpkey-algorithm-RSA" },
        { OAuthKey, RSA.Create(1024).ExportPkcs8PrivateKeyPem() },
        { OAuthKey, RSA.Create(2048).ExportSubjectPublicKeyInfoPem() }, // a public key cannot sign
        { Logistics, null }, // unset: the public code default (it used to fall back to the payment key)
        { Logistics, "sandbox-carrier-callback-secret-for-development-only" },
        { Logistics, "CHANGE-ME-TO-32-OR-MORE-RANDOM-BYTES-openssl-rand-hex-32" },
        { Logistics, "short-but-random-7f3c" },
        { Logistics, TestSecrets.CallbackSecret }, // the payment key: one leak would sign both
    };

    [Theory]
    [MemberData(nameof(BadSecrets))]
    public void The_front_door_refuses_to_start(string setting, string? value)
    {
        var settings = Good();
        if (value is null) settings.Remove(setting); else settings[setting] = value;
        // Unset signing key: appsettings.json's development key applies.
        using var factory = new SettingsFactory(settings);
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        var refusal = Unwrap(error);
        Assert.Contains(setting, refusal.Message);
        if (!string.IsNullOrEmpty(value)) Assert.DoesNotContain(value, refusal.Message); // secrets never reach the logs
    }

    /// <summary>Silos hold no signing key: the others.</summary>
    public static TheoryData<string, string?> SiloBadSecrets()
    {
        var data = new TheoryData<string, string?>();
        foreach (var row in BadSecrets())
        {
            var (setting, value) = row.Data;
            if (setting != Signing && setting != OAuthKey && setting != Logistics) data.Add(setting, value);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SiloBadSecrets))]
    public void The_silo_refuses_to_start(string setting, string? value)
    {
        var settings = Good();
        if (value is null) settings.Remove(setting); else settings[setting] = value;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration));
            using var host = builder.Build();
        });
        Assert.Contains(setting, Unwrap(error).Message);
    }

    [Fact]
    public void A_silo_outside_the_embedded_profile_needs_the_callback_address()
    {
        var settings = Good();
        settings.Remove("LiveCommerce:Payments:Sandbox:CallbackUrl");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        var error = Assert.ThrowsAny<Exception>(() => builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration)));
        Assert.Contains("CallbackUrl", error.Message);
    }

    /// <summary>The refusal: the exception (or inner exception) that says it refuses to start.</summary>
    private static Exception Unwrap(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e.Message.StartsWith("Refusing to start", StringComparison.Ordinal)) return e;
        Assert.Fail($"Expected a refusal to start, got: {error}");
        return error;
    }

    private sealed class SettingsFactory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }
}
