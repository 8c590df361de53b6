using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace LiveCommerce.Tests.Domain;

public sealed class SecretPolicyTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Random_secrets_pass_and_the_embedded_profile_keeps_its_defaults()
    {
        var good = Config(new()
        {
            ["LiveCommerce:Profile"] = "Postgres",
            [SecretPolicy.CallbackSecretSetting] = TestSecrets.CallbackSecret,
            [SecretPolicy.SigningKeySetting] = TestSecrets.SigningKey,
            [SecretPolicy.ConnectionStringSetting] = TestSecrets.ConnectionString(),
            [SecretPolicy.OAuthKeyPemSetting] = TestSecrets.OAuthSigningKeyPem,
            [SecretPolicy.LogisticsCallbackSecretSetting] = TestSecrets.LogisticsCallbackSecret,
        });
        Assert.Empty(SecretPolicy.Problems(good, HostSecrets.FrontDoor));
        SecretPolicy.Ensure(good, HostSecrets.FrontDoor);
        SecretPolicy.Ensure(Config(new() { ["LiveCommerce:Profile"] = "Embedded" }), HostSecrets.FrontDoor);
    }

    [Fact]
    public void Every_bad_setting_is_named_in_one_message()
    {
        var error = Assert.Throws<InsecureSecretException>(() => SecretPolicy.Ensure(Config(new() { ["LiveCommerce:Profile"] = "Postgres" }), HostSecrets.FrontDoor));
        Assert.Contains(SecretPolicy.CallbackSecretSetting, error.Message);
        Assert.Contains(SecretPolicy.SigningKeySetting, error.Message);
        Assert.Contains(SecretPolicy.ConnectionStringSetting, error.Message);
        Assert.Contains(SecretPolicy.OAuthKeyPemSetting, error.Message);
        Assert.Contains(SecretPolicy.LogisticsCallbackSecretSetting, error.Message);
    }

    [Fact]
    public void The_logistics_callback_key_is_its_own_and_never_the_payment_one()
    {
        Dictionary<string, string?> Settings(string? logistics) => new()
        {
            ["LiveCommerce:Profile"] = "Postgres",
            [SecretPolicy.CallbackSecretSetting] = TestSecrets.CallbackSecret,
            [SecretPolicy.LogisticsCallbackSecretSetting] = logistics,
        };
        Assert.Empty(SecretPolicy.Problems(Config(Settings(TestSecrets.LogisticsCallbackSecret)), HostSecrets.LogisticsCallbackSecret));
        foreach (var bad in new[] { null, "", "short-7f3c", TestSecrets.CallbackSecret, "sandbox-carrier-callback-secret-for-development-only" })
            Assert.Contains(SecretPolicy.LogisticsCallbackSecretSetting,
                Assert.Single(SecretPolicy.Problems(Config(Settings(bad)), HostSecrets.LogisticsCallbackSecret)));
        // Silos do not verify carrier callbacks: they need no such key.
        Assert.False(HostSecrets.Silo.HasFlag(HostSecrets.LogisticsCallbackSecret));
        Assert.True(HostSecrets.FrontDoor.HasFlag(HostSecrets.LogisticsCallbackSecret));
    }

    [Theory]
    [InlineData("CHANGE-ME-TO-32-OR-MORE-RANDOM-BYTES-openssl-rand-hex-32")]
    [InlineData("change_me_change_me_change_me_change_me")]
    [InlineData("<placeholder-for-the-real-signing-key-of-32-bytes>")]
    [InlineData("sandbox-callback-secret-for-development-only")]
    [InlineData("sandbox-carrier-callback-secret-for-development-only")]
    [InlineData("embedded-development-signing-key-not-for-production-0123456789")]
    public void Placeholders_and_shipped_defaults_are_refused(string value) => Assert.NotNull(SecretPolicy.KeyProblem(value));
}
