using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Splits;
using Microsoft.Extensions.DependencyInjection;

namespace LiveCommerce.Tests.Support;

/// <summary>A cluster with its own platform account, so its books can be balanced in isolation.</summary>
public class PaymentsFixture : ClusterFixture
{
    public string PlatformAccountId { get; } = "platform-" + Guid.NewGuid().ToString("N")[..6];

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Configure<SplitPolicy>(o => o.PlatformAccountId = PlatformAccountId);
}

/// <summary>The sandbox delivers every callback twice, late, and follows it with a stale "processing" event.</summary>
public sealed class MisbehavingCallbacksFixture : PaymentsFixture
{
    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Configure<SandboxGatewayOptions>(o =>
        {
            o.DuplicateRate = 1;
            o.OutOfOrderRate = 1;
            o.MaxExtraDelay = TimeSpan.FromMilliseconds(150);
        });
    }
}

/// <summary>The sandbox loses every callback: only reconciliation can bring the money into the books.</summary>
public sealed class LostCallbacksFixture : PaymentsFixture
{
    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Configure<SandboxGatewayOptions>(o => o.DropRate = 1);
    }
}

/// <summary>The sandbox completes payments only when told (like a payer who has not paid yet).</summary>
public sealed class ManualPaymentsFixture : PaymentsFixture
{
    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Configure<SandboxGatewayOptions>(o => o.AutoComplete = false);
    }
}
