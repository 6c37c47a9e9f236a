using System.Net.Sockets;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>Decides whether the fixtures run their servers in Docker (Testcontainers) or on this machine.</summary>
internal static class BackendChoice
{
    public const string EnvironmentVariable = "STREAMLSTM_IT_BACKEND";

    public static bool UseDocker()
    {
        var forced = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim().ToLowerInvariant();
        return forced switch
        {
            null or "" => DockerEngineIsReachable(),
            "docker" => true,
            "local" => false,
            _ => throw new InvalidOperationException(
                $"{EnvironmentVariable}='{forced}' is not understood: use 'docker', 'local' or leave it unset to choose automatically."),
        };
    }

    /// <summary>
    /// A Docker engine counts as present when DOCKER_HOST names one (Testcontainers then uses it) or a well-known
    /// engine socket accepts a connection. A socket file alone is not enough: a stale one is left behind by a stopped engine.
    /// </summary>
    public static bool DockerEngineIsReachable()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return true;
        }

        if (OperatingSystem.IsWindows())
        {
            return File.Exists(@"\\.\pipe\docker_engine");
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string[] sockets =
        [
            "/var/run/docker.sock",
            Path.Combine(home, ".docker", "run", "docker.sock"),
            Path.Combine(home, ".docker", "desktop", "docker.sock"),
            .. string.IsNullOrEmpty(runtimeDir) ? Array.Empty<string>() : [Path.Combine(runtimeDir, "docker.sock")],
        ];
        return sockets.Any(SocketAcceptsConnection);
    }

    private static bool SocketAcceptsConnection(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
