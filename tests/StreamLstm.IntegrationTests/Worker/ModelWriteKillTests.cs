using System.Diagnostics;
using StreamLstm.Model;
using TorchSharp;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// A process killed (SIGKILL) while it writes a model version into the store never leaves a current version that
/// cannot be loaded, nor a half-written version among the listed ones.
/// </summary>
public sealed class ModelWriteKillTests
{
    [Fact]
    public async Task A_train_killed_while_it_writes_its_version_leaves_the_store_loadable_with_only_whole_versions()
    {
        if (!OperatingSystem.IsLinux()) return; // SIGKILL of a child process the same way is Linux-only here.
        var work = Path.Combine(Path.GetTempPath(), "streamlstm-kill-" + Guid.NewGuid().ToString("N"));
        var storePath = Path.Combine(work, "store");
        Directory.CreateDirectory(work);
        var settings = new ModelSettings { HiddenSize = 8, Layers = 1, Horizons = 2, Window = 20, BurnIn = 5, Warmup = 5 };
        torch.manual_seed(1);
        using (var network = new LstmForecaster(settings))
            new ModelStore(storePath).Add(network, Calibration.Identity(settings.Horizons), new ModelMetadata { Version = "" });
        var csv = Path.Combine(work, "prices.csv");
        var ticks = WorkerHarness.Ticks(["A", "B", "C"], 300);
        File.WriteAllLines(csv, ["timestamp,symbol,price", .. ticks.Select(t => FormattableString.Invariant($"{t.Timestamp:O},{t.Symbol},{t.Price}"))]);

        int killedMidWrite = 0, attempts = 0;
        // A kill may land just after the rename (the write was quicker than the kill): the invariants must hold then too,
        // and the test tries again until one kill has landed mid-write (it almost always does on the first try).
        for (; attempts < 8 && (attempts < 3 || killedMidWrite == 0); attempts++)
        {
            var store = new ModelStore(storePath);
            var before = store.Versions();
            var versions = Path.Combine(storePath, "versions");
            var staged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Staging folders left by earlier kills stay (they are removed after an hour): only a new one counts.
            var leftOver = Directory.GetDirectories(versions, ".staging-*").ToHashSet();
            string[] NewStaging() => Directory.GetDirectories(versions, ".staging-*").Where(d => !leftOver.Contains(d)).ToArray();
            using var watcher = new FileSystemWatcher(versions) { Filter = ".staging-*", EnableRaisingEvents = true };
            watcher.Created += (_, e) =>
            {
                if (!leftOver.Contains(e.FullPath)) staged.TrySetResult();
            };
            using var stopLooking = new CancellationTokenSource();
            // inotify can be late to start: a tight look at the folder backs the watcher up.
            var looking = new Thread(() =>
            {
                while (!stopLooking.IsCancellationRequested && !staged.Task.IsCompleted)
                {
                    if (NewStaging().Length > 0) staged.TrySetResult();
                    else Thread.Yield();
                }
            }) { IsBackground = true };
            var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "streamlstm")) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[]
            {
                "train", "--data", csv, "--out", storePath, "--epochs", "1", "--Model:HiddenSize=512", "--Model:Layers=2",
                "--Model:Horizons=2", "--Model:Window=20", "--Model:BurnIn=5", "--Model:Warmup=5",
            })
                start.ArgumentList.Add(arg);
            using var train = Process.Start(start)!;
            looking.Start();
            var output = train.StandardOutput.ReadToEndAsync();
            var errors = train.StandardError.ReadToEndAsync();
            var exited = train.WaitForExitAsync();
            var first = await Task.WhenAny(staged.Task, exited, Task.Delay(TimeSpan.FromMinutes(2)));
            if (first == staged.Task && !train.HasExited) train.Kill();
            else if (first != exited && !train.HasExited) Assert.Fail($"train neither staged a version nor finished in 2 minutes\n{await output}{await errors}");
            await exited;
            stopLooking.Cancel();
            looking.Join();
            if (!train.HasExited || train.ExitCode is not (0 or 137 or -1) && first != staged.Task)
                Assert.Fail($"train failed: exit {train.ExitCode}\n{await output}{await errors}");
            if (NewStaging().Length > 0) killedMidWrite++;

            // Whatever the moment of the kill: the current version loads, and every listed version is whole.
            var after = new ModelStore(storePath);
            using (var current = after.LoadCurrent()) Assert.Contains(current.Id, after.Versions());
            foreach (var id in after.Versions()) using (after.Load(id)) { }
            Assert.True(after.Versions().Count - before.Count is 0 or 1);
        }
        // The watcher fires as the staging folder appears, while 13 MB of weights are written and synced: the kill lands mid-write.
        Assert.True(killedMidWrite > 0, $"no kill landed while a version was being written in {attempts} attempts");
        Directory.Delete(work, recursive: true);
    }
}
