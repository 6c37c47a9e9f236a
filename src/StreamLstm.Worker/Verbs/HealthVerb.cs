using System.CommandLine;
using System.Text.Json;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>health [--url URL] [--live]</c>: asks a running worker's <c>/health/ready</c> (or <c>/health/live</c>) and exits 0
/// when it answers healthy, 1 otherwise, so a container health check needs no curl in the image.
/// </summary>
public static class HealthVerb
{
    /// <summary>How long the worker may take to answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = $"the worker's endpoint (default: Http:Url, else {HttpOptions.DefaultUrl})", HelpName = "URL" };
        var live = new Option<bool>("--live") { Description = "ask /health/live (is it hung?) instead of /health/ready (can it do its job?)" };
        var command = CommandLine.Verb("health", "Check a running worker's health endpoint: exit 0 when healthy, 1 when not or unreachable.");
        command.Options.Add(url);
        command.Options.Add(live);
        command.SetAction(parse =>
        {
            var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
            var endpoint = parse.GetValue(url) ?? configuration["Http:Url"] ?? HttpOptions.DefaultUrl;
            if (string.IsNullOrWhiteSpace(endpoint)) throw new CliException("Http:Url is empty: the worker serves no health endpoint (give --url)");
            if (HttpOptions.Problem(endpoint) is { } problem) throw new CliException(problem);
            return Check(Reachable(new Uri(endpoint)), parse.GetValue(live) ? "/health/live" : "/health/ready");
        });
        return command;
    }

    /// <summary>A wildcard listening address (<c>0.0.0.0</c>, <c>[::]</c>) is asked on loopback.</summary>
    private static Uri Reachable(Uri endpoint) => endpoint.Host is "0.0.0.0" or "[::]" or "*" or "+"
        ? new UriBuilder(endpoint) { Host = "127.0.0.1" }.Uri
        : endpoint;

    private static int Check(Uri endpoint, string path)
    {
        using var http = new HttpClient { Timeout = Timeout };
        var target = new Uri(endpoint, path);
        try
        {
            using var response = http.GetAsync(target).GetAwaiter().GetResult();
            var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            Console.WriteLine($"{target}: {(int)response.StatusCode} {Summary(body)}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"{target}: no answer ({(ex is TaskCanceledException ? $"timed out after {Timeout.TotalSeconds:F0} s" : ex.Message)})");
            return 1;
        }
    }

    /// <summary>The status and each check that is not healthy, on one line.</summary>
    private static string Summary(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var failing = root.GetProperty("checks").EnumerateObject()
                .Where(c => c.Value.GetProperty("status").GetString() != "Healthy")
                .Select(c => $"{c.Name}: {c.Value.GetProperty("description").GetString()}");
            return string.Join("; ", new[] { root.GetProperty("status").GetString() ?? "" }.Concat(failing));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }
}
