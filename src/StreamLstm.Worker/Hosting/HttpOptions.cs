namespace StreamLstm.Worker.Hosting;

/// <summary>The worker's HTTP endpoint (configuration section <c>Http</c>): <c>/metrics</c>, <c>/health/live</c>, <c>/health/ready</c>.</summary>
public sealed class HttpOptions
{
    /// <summary>The default address: this host only (an endpoint other hosts can reach has security implications).</summary>
    public const string DefaultUrl = "http://localhost:9464";

    /// <summary>
    /// Where the endpoint listens, e.g. <c>http://localhost:9464</c>, or <c>http://0.0.0.0:9464</c> to serve other
    /// hosts; empty turns it off. Default <see cref="DefaultUrl"/>.
    /// </summary>
    public string? Url { get; set; } = DefaultUrl;

    /// <summary>
    /// Why the endpoint cannot listen on <paramref name="url"/> (its port is taken), or null. Checked before the host starts,
    /// so the error is one line naming the key instead of the host's failure log with a stack trace.
    /// </summary>
    public static string? PortProblem(string url)
    {
        var uri = new Uri(url);
        var addresses = uri.Host switch
        {
            "localhost" => [System.Net.IPAddress.Loopback],
            "*" or "+" or "0.0.0.0" => [System.Net.IPAddress.Any],
            _ => System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? [ip] : Array.Empty<System.Net.IPAddress>(),
        };
        foreach (var address in addresses)
        {
            var listener = new System.Net.Sockets.TcpListener(address, uri.Port);
            try
            {
                listener.Start();
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                return $"Http:Url {url}: cannot listen on {address}:{uri.Port} ({ex.Message}); choose another port, or empty to turn the endpoint off";
            }
            finally
            {
                listener.Stop();
            }
        }
        return null;
    }

    /// <summary>The problem with <paramref name="url"/> as <c>Http:Url</c>, or null when it is usable (empty is: off).</summary>
    public static string? Problem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return $"Http:Url '{url}' is not an http or https URL (e.g. http://localhost:9464; empty turns the endpoint off)";
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
            return $"Http:Url '{url}' must be a scheme, host and port only (the paths are /metrics, /health/live and /health/ready)";
        return null;
    }
}
