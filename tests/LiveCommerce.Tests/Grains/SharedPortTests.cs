using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// Defect 14: a second embedded instance on the same machine started on the first one's silo and gateway ports
/// (Orleans' listener sets SO_REUSEADDR, which .NET on Linux turns into SO_REUSEPORT) and silently shared them.
/// </summary>
public sealed class SharedPortTests
{
    private static IHost Silo(int siloPort, int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LiveCommerce:Profile"] = "Embedded",
            ["LiveCommerce:ClusterId"] = "ports-" + Guid.NewGuid().ToString("N")[..8],
            ["LiveCommerce:Silo:SiloPort"] = siloPort.ToString(),
            ["LiveCommerce:Silo:GatewayPort"] = gatewayPort.ToString(),
            ["LiveCommerce:Dashboard"] = "false",
        });
        builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration));
        return builder.Build();
    }

    [Fact]
    public async Task A_second_silo_on_the_same_ports_fails_to_start_and_says_why()
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        using var first = Silo(siloPort, gatewayPort);
        await first.StartAsync();
        try
        {
            using var second = Silo(siloPort, gatewayPort);
            var error = await Assert.ThrowsAnyAsync<Exception>(() => second.StartAsync());
            Assert.Contains($"port {siloPort}", error.ToString());
            Assert.Contains("already in use", error.ToString());
        }
        finally
        {
            await first.StopAsync();
        }
    }

    [Fact]
    public async Task A_second_silo_sharing_only_the_gateway_port_fails_too()
    {
        int gatewayPort = FreePorts.Next();
        using var first = Silo(FreePorts.Next(), gatewayPort);
        await first.StartAsync();
        try
        {
            using var second = Silo(FreePorts.Next(), gatewayPort);
            var error = await Assert.ThrowsAnyAsync<Exception>(() => second.StartAsync());
            Assert.Contains($"port {gatewayPort}", error.ToString());
        }
        finally
        {
            await first.StopAsync();
        }
    }

    [Fact]
    public async Task A_silo_restarts_on_its_own_ports_after_stopping()
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        using (var first = Silo(siloPort, gatewayPort))
        {
            await first.StartAsync();
            await first.StopAsync();
        }
        using var again = Silo(siloPort, gatewayPort);
        await again.StartAsync();
        await again.StopAsync();
    }
}
