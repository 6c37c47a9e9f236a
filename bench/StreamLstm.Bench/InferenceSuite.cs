using System.Diagnostics;
using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Model;
using TorchSharp;

namespace StreamLstm.Bench;

/// <summary>
/// Suite <c>inference</c>: stateful steps per second of the hand-written <see cref="KernelStepper"/> next to
/// <see cref="TorchStepper"/> (baseline) at batch 1 and 256 on a 2 x 64 LSTM with 3 horizons, and the largest
/// absolute difference between their raw outputs over the measured steps (both engines start every repeat from zero
/// states and see the same inputs; the comparison covers the steps of the last repeat that both engines ran).
/// </summary>
public static class InferenceSuite
{
    private const int Repeats = 5;
    private const int DistinctInputs = 97;

    public static Dictionary<string, double> Run()
    {
        var settings = new ModelSettings { HiddenSize = 64, Layers = 2, Horizons = 3 };
        torch.manual_seed(1);
        using var network = new LstmForecaster(settings);
        network.eval();
        var figures = new Dictionary<string, double>();
        double worst = 0;
        foreach (var (batch, kernelSteps, torchSteps) in new[] { (1, 40_000, 2_000), (256, 1_000, 60) })
        {
            var kernel = new KernelStepper(network);
            var baseline = new TorchStepper(network);
            var inputs = Inputs(batch, seed: batch);
            var kernelRun = new Session(kernel, settings, batch, inputs, kernelSteps, torchSteps);
            var torchRun = new Session(baseline, settings, batch, inputs, torchSteps, torchSteps);
            // One engine after the other, not interleaved: LibTorch's OpenMP workers spin briefly after each call, and
            // the kernel's helper thread should not compete with them for the second core.
            kernelRun.WarmUp(TimeSpan.FromSeconds(1));
            var kernelRates = Enumerable.Range(0, Repeats).Select(_ => kernelRun.Measure()).ToList();
            torchRun.WarmUp(TimeSpan.FromSeconds(1));
            var torchRates = Enumerable.Range(0, Repeats).Select(_ => torchRun.Measure()).ToList();
            double diff = LargestDifference(kernelRun.Recorded, torchRun.Recorded);
            double engine = Measure.Median(kernelRates), torchRate = Measure.Median(torchRates);
            figures[$"engine_steps_per_s_b{batch}"] = engine;
            figures[$"torchsharp_steps_per_s_b{batch}"] = torchRate;
            figures[$"engine_vs_torchsharp_ratio_b{batch}"] = engine / torchRate;
            figures[$"max_abs_diff_b{batch}"] = diff;
            worst = Math.Max(worst, diff);
            Suites.Log($"inference b{batch}: kernel {Suites.F(engine)} steps/s, TorchSharp {Suites.F(torchRate)} steps/s, " +
                $"ratio {engine / torchRate:F1}, largest difference {diff:E2}");
        }
        figures["max_abs_diff"] = worst;
        return figures;
    }

    /// <summary>A pool of input rows [DistinctInputs][batch * features], cycled through step by step.</summary>
    private static float[][] Inputs(int batch, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, DistinctInputs)
            .Select(_ => Enumerable.Range(0, batch * SymbolFeatures.PriceCount).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray())
            .ToArray();
    }

    private static double LargestDifference(float[] a, float[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    /// <summary>
    /// One engine stepping <c>batch</c> symbols from zero states for a fixed number of steps; the raw outputs of the
    /// first <c>recordedSteps</c> steps are kept for the comparison.
    /// </summary>
    private sealed class Session(IRecurrentStepper stepper, ModelSettings settings, int batch, float[][] inputs, int steps, int recordedSteps)
    {
        private readonly List<RecurrentState> _states =
            Enumerable.Range(0, batch).Select(_ => new RecurrentState(settings.Layers, settings.HiddenSize)).ToList();
        private readonly float[] _raw = new float[batch * settings.OutputSize];

        public float[] Recorded { get; } = new float[recordedSteps * batch * settings.OutputSize];

        public void WarmUp(TimeSpan duration)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration) Measure();
        }

        /// <summary>Returns symbol-steps per second.</summary>
        public double Measure()
        {
            foreach (var state in _states) state.Reset();
            var clock = Stopwatch.StartNew();
            for (int t = 0; t < steps; t++)
            {
                stepper.Step(_states, inputs[t % inputs.Length], _raw);
                if (t < recordedSteps) _raw.CopyTo(Recorded, t * _raw.Length);
            }
            return (double)steps * batch / clock.Elapsed.TotalSeconds;
        }
    }
}
