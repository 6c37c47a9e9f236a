using System.Diagnostics;
using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Ticks;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Bench;

/// <summary>
/// Suite <c>training</c>: windows per second through the product's trainer (2 x 64 LSTM, windows of 60 x 4, batch
/// 256, validation included) next to a bare TorchSharp loop on the same shapes (baseline); and stateful steps per
/// second through TorchSharp at batch 1 and 256 next to re-running a 60-step window from a zero state (baseline).
/// </summary>
public static class TrainingSuite
{
    private const int Repeats = 3;

    public static Dictionary<string, double> Run()
    {
        var settings = new ModelSettings { HiddenSize = 64, Layers = 2, Horizons = 3, Window = 60, BurnIn = 20 };
        var figures = new Dictionary<string, double>();

        var ticks = Measure.Ticks(symbols: 16, perSymbol: 2400, seed: 1);
        var series = SymbolSeries.FromTicks(ticks, settings.Warmup);
        var training = new TrainingSettings { Epochs = 8, Patience = 100, BatchSize = 256, Stride = 20, Seed = 1 };
        Train(settings, training, series); // warm-up
        double product = Measure.Median(Enumerable.Range(0, Repeats).Select(_ => Train(settings, training, series)));
        double bare = Measure.Median(Enumerable.Range(0, Repeats).Select(_ => BareTorchLoop(settings, batches: 12)));
        figures["train_windows_per_s"] = product;
        figures["baseline_bare_torch_windows_per_s"] = bare;
        figures["train_vs_bare_torch_ratio"] = product / bare;
        Suites.Log($"training: {Suites.F(product)} windows/s (bare TorchSharp loop {Suites.F(bare)}, ratio {product / bare:F2})");

        torch.manual_seed(1);
        using var network = new LstmForecaster(settings);
        network.eval();
        foreach (var batch in new[] { 1, 256 })
        {
            double stateful = Measure.Median(Enumerable.Range(0, Repeats).Select(_ => StatefulSteps(network, batch)));
            double window = Measure.Median(Enumerable.Range(0, Repeats).Select(_ => WindowRerun(network, batch)));
            figures[$"torchsharp_steps_per_s_b{batch}"] = stateful;
            figures[$"baseline_window60_rerun_steps_per_s_b{batch}"] = window;
            figures[$"stateful_vs_window60_ratio_b{batch}"] = stateful / window;
            Suites.Log($"inference b{batch}: stateful {Suites.F(stateful)} steps/s, window-60 rerun {Suites.F(window)} steps/s, ratio {stateful / window:F1}");
        }
        return figures;
    }

    private static double Train(ModelSettings settings, TrainingSettings training, List<SymbolSeries> series)
    {
        var clock = Stopwatch.StartNew();
        var result = new ModelTrainer(settings, training).Train(series);
        double seconds = clock.Elapsed.TotalSeconds;
        result.Network.Dispose();
        return (double)result.WindowsPerEpoch * result.Epochs / seconds;
    }

    /// <summary>
    /// The plainest TorchSharp loop on the same shapes and dropout: LSTM + linear head, MSE, Adam, one fixed batch,
    /// no data preparation, no validation, no clipping.
    /// </summary>
    private static double BareTorchLoop(ModelSettings settings, int batches)
    {
        torch.manual_seed(2);
        using var lstm = nn.LSTM(settings.InputSize, settings.HiddenSize, settings.Layers, batchFirst: true, dropout: settings.Dropout);
        using var head = nn.Linear(settings.HiddenSize, settings.OutputSize);
        var parameters = lstm.parameters().Concat(head.parameters()).ToList();
        using var optimizer = torch.optim.Adam(parameters, 0.002);
        using var x = torch.randn(256, settings.Window, settings.InputSize);
        using var y = torch.randn(256, settings.Window, settings.OutputSize);
        var clock = new Stopwatch();
        for (int i = 0; i <= batches; i++)
        {
            if (i == 1) clock.Start(); // the first batch warms up
            using var scope = torch.NewDisposeScope();
            var (sequence, _, _) = lstm.forward(x);
            var loss = nn.functional.mse_loss(head.forward(sequence), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return 256.0 * batches / clock.Elapsed.TotalSeconds;
    }

    private static double StatefulSteps(LstmForecaster network, int batch)
    {
        var stepper = new TorchStepper(network);
        var states = Enumerable.Range(0, batch).Select(_ => new RecurrentState(network.Settings.Layers, network.Settings.HiddenSize)).ToList();
        var inputs = new float[batch * network.Settings.InputSize];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)Math.Sin(i);
        var raw = new float[batch * network.Settings.OutputSize];
        int steps = batch == 1 ? 3000 : 200;
        for (int i = 0; i < 20; i++) stepper.Step(states, inputs, raw);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) stepper.Step(states, inputs, raw);
        return (double)steps * batch / clock.Elapsed.TotalSeconds;
    }

    private static double WindowRerun(LstmForecaster network, int batch)
    {
        using var x = torch.randn(batch, 60, network.Settings.InputSize);
        int runs = batch == 1 ? 200 : 10;
        using var _ = torch.no_grad();
        for (int i = 0; i < 3; i++) { using var s = torch.NewDisposeScope(); network.forward(x); }
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++)
        {
            using var scope = torch.NewDisposeScope();
            network.forward(x);
        }
        return (double)runs * batch / clock.Elapsed.TotalSeconds;
    }
}
