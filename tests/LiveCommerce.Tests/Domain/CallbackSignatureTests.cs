using System.Text;
using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Tests.Domain;

public sealed class CallbackSignatureTests
{
    private const string Secret = "s3cret-for-tests";
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"paymentId\":\"pay-1\",\"amount\":100}");

    [Fact]
    public void A_signature_verifies_against_the_same_body_and_secret() =>
        Assert.True(CallbackSignature.Verify(Secret, CallbackSignature.Sign(Secret, Now, Body), Body, Now, TimeSpan.FromMinutes(5)));

    [Fact]
    public void A_changed_body_a_wrong_secret_or_an_old_timestamp_fail()
    {
        var header = CallbackSignature.Sign(Secret, Now, Body);
        var tampered = Encoding.UTF8.GetBytes("{\"paymentId\":\"pay-1\",\"amount\":999}");
        Assert.False(CallbackSignature.Verify(Secret, header, tampered, Now, TimeSpan.FromMinutes(5)));
        Assert.False(CallbackSignature.Verify("other", header, Body, Now, TimeSpan.FromMinutes(5)));
        Assert.False(CallbackSignature.Verify(Secret, header, Body, Now.AddMinutes(6), TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("t=abc,v1=00")]
    [InlineData("t=1,v1=zz")]
    [InlineData("v1=00")]
    public void Malformed_headers_fail(string? header) =>
        Assert.False(CallbackSignature.Verify(Secret, header, Body, Now, TimeSpan.FromMinutes(5)));
}
