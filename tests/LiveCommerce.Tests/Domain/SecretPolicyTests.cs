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
    }

    [Theory]
    [InlineData("CHANGE-ME-TO-32-OR-MORE-RANDOM-BYTES-openssl-rand-hex-32")]
    [InlineData("change_me_change_me_change_me_change_me")]
    [InlineData("<placeholder-for-the-real-signing-key-of-32-bytes>")]
    [InlineData("sandbox-callback-secret-for-development-only")]
    [InlineData("embedded-development-signing-key-not-for-production-0123456789")]
    public void Placeholders_and_shipped_defaults_are_refused(string value) => Assert.NotNull(SecretPolicy.KeyProblem(value));
}
