using System.Diagnostics;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A real server binary the tests run (influxd, prometheus): found on PATH or through an environment variable, started
/// in a temporary directory of its own with its last output kept, waited for until it answers, killed and its
/// directory removed on dispose (or when the test run ends without disposing it).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int LogLinesKept = 60;

    private readonly string _name;
    private readonly Process _process;
    private readonly Queue<string> _log = new();
    private int _disposed;

    private ServerProcess(string name, Process process, string directory)
    {
        _name = name;
        _process = process;
        Directory = directory;
    }

    /// <summary>The server's temporary directory (its data, its config).</summary>
    public string Directory { get; }

    /// <summary><c>$variable</c> when set (it must exist), else the first <paramref name="name"/> on PATH or in /usr/bin, else null.</summary>
    public static string? FindExecutable(string variable, string name)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{variable}='{configured}' does not exist.");
        }

        var file = OperatingSystem.IsWindows() ? name + ".exe" : name;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(dir => Path.Combine(dir, file))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Runs <paramref name="start"/> (launch, then wait until ready) up to three times: ports are free when picked but
    /// could be taken before the server binds them, and a server that says so is started again with new ones.
    /// </summary>
    public static async Task<T> StartWithRetriesAsync<T>(Func<T> launch, Func<T, ServerProcess> process, Func<T, Task> ready)
        where T : IAsyncDisposable
    {
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var server = launch();
            try
            {
                await ready(server).ConfigureAwait(false);
                return server;
            }
            catch (Exception) when (attempt < attempts && process(server).LogMentions("address already in use"))
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>A new temporary directory for a server called <paramref name="name"/>.</summary>
    public static string NewDirectory(string name) => System.IO.Directory.CreateTempSubdirectory($"streamlstm-{name}-").FullName;

    /// <summary>Starts <paramref name="executable"/> with <paramref name="arguments"/> in <paramref name="directory"/> (removed if it cannot start).</summary>
    public static ServerProcess Start(string name, string executable, IEnumerable<string> arguments, string directory)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(name, process, directory);
        process.OutputDataReceived += (_, e) => server.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            process.Dispose();
            TryDeleteDirectory(directory);
            throw new InvalidOperationException($"Could not start '{executable}': {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A test run that ends without disposing its fixtures must not leave the server running.
        AppDomain.CurrentDomain.ProcessExit += server.OnProcessExit;
        return server;
    }

    /// <summary>
    /// Polls <paramref name="answers"/> until it holds; a process that dies meanwhile is reported at once, with its
    /// output, not after the whole timeout.
    /// </summary>
    public async Task WaitUntilReadyAsync(Func<CancellationToken, Task<bool>> answers, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var exited = _process.WaitForExitAsync(stop.Token);
        var ready = Poll.UntilAsync(answers, timeout, what, RecentLog, stop.Token);
        var first = await Task.WhenAny(ready, exited).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        if (first == exited && exited.IsCompletedSuccessfully)
        {
            await Task.WhenAny(ready).ConfigureAwait(false);
            throw new InvalidOperationException($"{_name} exited with code {_process.ExitCode} while starting.\n{RecentLog()}");
        }

        await Task.WhenAny(exited).ConfigureAwait(false);
        await ready.ConfigureAwait(false);
    }

    public string RecentLog()
    {
        lock (_log)
        {
            return _log.Count == 0 ? $"({_name} wrote nothing)" : $"{_name}'s last output:\n" + string.Join('\n', _log);
        }
    }

    public bool LogMentions(string text)
    {
        lock (_log)
        {
            return _log.Any(line => line.Contains(text, StringComparison.OrdinalIgnoreCase));
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLinesKept)
            {
                _log.Dequeue();
            }
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Kill();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Killed but not reaped in time; the directory may still be busy, which is tolerated below.
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }
        }

        _process.Dispose();
        TryDeleteDirectory(Directory);
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory must not fail the test run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
