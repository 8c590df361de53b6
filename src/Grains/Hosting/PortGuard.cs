using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// Refuses to start a silo whose silo or gateway port is already taken on this machine. Orleans' listener sets
/// SO_REUSEADDR, which .NET on Linux and macOS also turns into SO_REUSEPORT, so a second silo (a second embedded front
/// door, say) bound the same ports without error and the kernel spread connections over both processes. The probe
/// binds each listening endpoint once with SO_REUSEADDR only (so a previous run's TIME_WAIT sockets do not block a
/// restart) and releases it before Orleans binds.
/// </summary>
public sealed class PortGuard(IOptions<EndpointOptions> endpoints, ILogger<PortGuard> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PortGuard), ServiceLifecycleStage.First, _ => { EnsureFree(); return Task.CompletedTask; });

    public void EnsureFree()
    {
        var options = endpoints.Value;
        var silo = options.SiloListeningEndpoint ?? new IPEndPoint(options.AdvertisedIPAddress ?? IPAddress.Loopback, options.SiloPort);
        Probe(silo, "silo", "LiveCommerce:Silo:SiloPort");
        if (options.GatewayPort != 0)
            Probe(options.GatewayListeningEndpoint ?? new IPEndPoint(options.AdvertisedIPAddress ?? IPAddress.Loopback, options.GatewayPort), "gateway", "LiveCommerce:Silo:GatewayPort");
    }

    private void Probe(IPEndPoint endpoint, string what, string setting)
    {
        if (endpoint.Port == 0) return;
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        AllowTimeWait(socket);
        try
        {
            socket.Bind(endpoint);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new InvalidOperationException(
                $"The {what} port {endpoint.Port} ({endpoint}) is already in use: another silo or embedded front door runs on this machine. " +
                $"Stop it, or give this one free ports ({setting}).", e);
        }
        logger.LogDebug("The {What} endpoint {Endpoint} is free", what, endpoint);
    }

    /// <summary>SO_REUSEADDR alone (Socket.ReuseAddress would add SO_REUSEPORT on Unix, which is what lets a bind share a port).</summary>
    private static void AllowTimeWait(Socket socket)
    {
        if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(1, 2, BitConverter.GetBytes(1)); // SOL_SOCKET, SO_REUSEADDR
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) socket.SetRawSocketOption(0xffff, 4, BitConverter.GetBytes(1));
    }
}
