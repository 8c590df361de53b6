using System.Security.Claims;
using LiveCommerce.Api.Infrastructure;

namespace LiveCommerce.Tests.Platform;

/// <summary>The rule that turns an app token into its merchant, without a silo.</summary>
public sealed class AppAccessTests
{
    private static readonly SystemSubjects System = new(["platform"]);

    private static ClaimsPrincipal App(string merchant = "m-1", string scope = "orders.read settlement.read", string? role = null)
    {
        var identity = new ClaimsIdentity(Access.AppAuthenticationType, "sub", "role");
        identity.AddClaim(new Claim("sub", "erp"));
        identity.AddClaim(new Claim("client_id", "erp"));
        identity.AddClaim(new Claim("merchant_id", merchant));
        identity.AddClaim(new Claim("scope", scope));
        if (role is not null) identity.AddClaim(new Claim("role", role));
        return new ClaimsPrincipal(identity);
    }

    [Fact]
    public void An_app_with_the_endpoints_scope_acts_exactly_as_its_merchant()
    {
        var (acting, problem) = Access.ActingForMerchant(App(), "settlement.read");
        Assert.Null(problem);
        Assert.NotNull(acting);
        Assert.True(acting.Is(Party.Merchant, "m-1"));
        Assert.False(acting.Is(Party.Merchant, "m-2"));
        Assert.False(acting.IsAdmin());
        Assert.Equal("erp", acting.ActingApp());
        Assert.False(acting.IsApp()); // already turned: the middleware does not turn it twice
        acting.EnsureOwnsAccount("m-1");
        Assert.Throws<DomainException>(() => acting.EnsureOwnsAccount("m-2"));
    }

    [Theory]
    [InlineData(null)]           // endpoint open to no app
    [InlineData("orders.fulfil")] // a scope the token lacks
    public void Without_the_endpoints_scope_the_app_is_refused(string? endpointScope)
    {
        var (acting, problem) = Access.ActingForMerchant(App(), endpointScope);
        Assert.Null(acting);
        Assert.NotNull(problem);
    }

    [Fact]
    public void App_tokens_need_one_merchant_no_role_and_known_scopes()
    {
        Assert.Null(Access.AppTokenProblem(App(), System));
        Assert.NotNull(Access.AppTokenProblem(App(merchant: "platform"), System));
        Assert.NotNull(Access.AppTokenProblem(App(merchant: "bad id!"), System));
        Assert.NotNull(Access.AppTokenProblem(App(role: "admin"), System));
        Assert.NotNull(Access.AppTokenProblem(App(scope: "orders.read everything"), System));
        Assert.NotNull(Access.AppTokenProblem(App(scope: " "), System));
    }
}
