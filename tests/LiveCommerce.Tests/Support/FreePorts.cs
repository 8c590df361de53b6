using System.Net;
using System.Net.Sockets;

namespace LiveCommerce.Tests.Support;

/// <summary>Loopback ports nobody listens on, so test silos and front doors never collide.</summary>
public static class FreePorts
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (Handed.Add(port)) return port;
            }
        }
    }
}
