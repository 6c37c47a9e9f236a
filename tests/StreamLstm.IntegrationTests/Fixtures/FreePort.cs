using System.Net;
using System.Net.Sockets;

namespace StreamLstm.IntegrationTests.Fixtures;

internal static class FreePort
{
    /// <summary>A loopback port the OS reports free right now (another process could still take it before use).</summary>
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
