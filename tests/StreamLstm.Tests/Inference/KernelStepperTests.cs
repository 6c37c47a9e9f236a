using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Model;
using TorchSharp;

namespace StreamLstm.Tests.Inference;

public class KernelStepperTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(256)]
    public void Two_layers_of_64_match_torchsharp_over_200_steps(int batch)
    {
        var worst = CompareWithTorch(new ModelSettings { HiddenSize = 64, Layers = 2, Horizons = 3 }, batch, steps: 200, seed: 21);
        Assert.True(worst < Tolerance, $"largest difference {worst:E2}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void A_quote_model_reading_all_nine_features_matches_torchsharp(int batch)
    {
        var settings = new ModelSettings { HiddenSize = 32, Layers = 2, Horizons = 3 }.WithFeatures(FeatureSets.Quote);
        Assert.Equal(SymbolFeatures.Count, settings.InputSize);
        var worst = CompareWithTorch(settings, batch, steps: 100, seed: 24);
        Assert.True(worst < Tolerance, $"largest difference {worst:E2}");
    }

    [Theory]
    [InlineData(1, 13, 3, 1)]
    [InlineData(1, 13, 3, 9)]
    [InlineData(3, 13, 2, 5)]
    [InlineData(3, 21, 1, 70)]
    [InlineData(1, 8, 3, 64)]
    [InlineData(3, 40, 4, 33)]
    public void Other_depths_and_widths_match_torchsharp_including_sizes_that_are_not_whole_vectors(int layers, int hidden, int horizons, int batch)
    {
        var settings = new ModelSettings { HiddenSize = hidden, Layers = layers, Horizons = horizons };
        var worst = CompareWithTorch(settings, batch, steps: 200, seed: 22 + layers * 100 + hidden);
        Assert.True(worst < Tolerance, $"largest difference {worst:E2}");
    }

    [Theory]
    [InlineData(2, 64, 1)]
    [InlineData(2, 13, 70)]
    [InlineData(3, 13, 6)]
    public void The_portable_path_matches_torchsharp_too(int layers, int hidden, int batch)
    {
        var settings = new ModelSettings { HiddenSize = hidden, Layers = layers, Horizons = 3 };
        var worst = CompareWithTorch(settings, batch, steps: 200, seed: 23, vectorized: false);
        Assert.True(worst < Tolerance, $"largest difference {worst:E2}");
    }

    [Theory]
    [InlineData(true, 7)]
    [InlineData(true, 100)]
    [InlineData(false, 7)]
    public void Symbols_stepped_in_another_batch_and_order_get_the_same_results_as_stepped_alone(bool vectorized, int symbols)
    {
        torch.manual_seed(31);
        var settings = new ModelSettings { HiddenSize = 13, Layers = 2, Horizons = 3 };
        using var network = new LstmForecaster(settings);
        var stepper = new KernelStepper(network, vectorized);
        int f = settings.InputSize, outputs = settings.OutputSize;
        var random = new Random(8);
        var batched = NewStates(settings, symbols);
        var alone = NewStates(settings, symbols);
        // A changing subset in a shuffled order each tick, with the skipped symbols' states left as they are.
        for (int t = 0; t < 50; t++)
        {
            var subset = Enumerable.Range(0, symbols).Where(_ => random.NextDouble() < 0.7).OrderBy(_ => random.Next()).ToArray();
            if (subset.Length == 0) continue;
            var rows = subset.Select(_ => RandomRow(random, f)).ToArray();
            var rawBatch = new float[subset.Length * outputs];
            stepper.Step(subset.Select(s => batched[s]).ToList(), rows.SelectMany(r => r).ToArray(), rawBatch);
            for (int i = 0; i < subset.Length; i++)
            {
                var rawAlone = new float[outputs];
                stepper.Step([alone[subset[i]]], rows[i], rawAlone);
                Assert.Equal(rawAlone, rawBatch.AsSpan(i * outputs, outputs).ToArray());
            }
        }
        for (int s = 0; s < symbols; s++)
        {
            Assert.Equal(alone[s].H, batched[s].H);
            Assert.Equal(alone[s].C, batched[s].C);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Steps_after_the_first_allocate_nothing_per_step(int batch)
    {
        // The smallest object is 24 bytes, so fewer bytes than 24 per step means no step allocated. The runtime itself
        // may allocate once on this thread meanwhile (seen once in CI: 7,040 bytes within 50 steps, as methods were
        // promoted by tiered compilation), so the bound is per step over many steps, not zero over a few.
        const int Calls = 10_000;
        var allocated = AllocatedOnCallingThread(batch, Calls);

        Assert.True(allocated < 24 * Calls, $"{allocated} bytes in {Calls} steps");
    }

    [Fact]
    public void Large_batches_on_several_threads_allocate_nothing_per_step()
    {
        // The thread pool may start a worker now and then, which allocates on the requesting thread; 24 bytes or
        // more per step would exceed the bound.
        var allocated = AllocatedOnCallingThread(batch: 256, calls: 200);

        Assert.True(allocated < 4096, $"{allocated} bytes in 200 steps");
    }

    [Fact]
    public void A_state_of_another_shape_is_refused()
    {
        torch.manual_seed(42);
        using var network = new LstmForecaster(new ModelSettings { HiddenSize = 16, Layers = 2 });
        var stepper = new KernelStepper(network);
        var raw = new float[network.Settings.OutputSize];

        Assert.Throws<ArgumentException>(() => stepper.Step([new RecurrentState(1, 16)], new float[network.Settings.InputSize], raw));
    }

    private static long AllocatedOnCallingThread(int batch, int calls)
    {
        torch.manual_seed(41);
        var settings = new ModelSettings { HiddenSize = 64, Layers = 2, Horizons = 3 };
        using var network = new LstmForecaster(settings);
        var stepper = new KernelStepper(network);
        var states = NewStates(settings, batch);
        var inputs = RandomRow(new Random(3), batch * settings.InputSize);
        var raw = new float[batch * settings.OutputSize];
        for (int i = 0; i < 5; i++) stepper.Step(states, inputs, raw);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++) stepper.Step(states, inputs, raw);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Steps the same random inputs through both engines; returns the largest difference in outputs, h or c.</summary>
    private static double CompareWithTorch(ModelSettings settings, int batch, int steps, int seed, bool vectorized = true)
    {
        torch.manual_seed(seed);
        using var network = new LstmForecaster(settings);
        network.eval();
        var kernel = new KernelStepper(network, vectorized);
        var torchStepper = new TorchStepper(network);
        var kernelStates = NewStates(settings, batch);
        var torchStates = NewStates(settings, batch);
        var random = new Random(seed);
        var kernelRaw = new float[batch * settings.OutputSize];
        var torchRaw = new float[batch * settings.OutputSize];
        double worst = 0;
        for (int t = 0; t < steps; t++)
        {
            var inputs = RandomRow(random, batch * settings.InputSize);
            kernel.Step(kernelStates, inputs, kernelRaw);
            torchStepper.Step(torchStates, inputs, torchRaw);
            worst = Math.Max(worst, LargestDifference(kernelRaw, torchRaw));
            for (int s = 0; s < batch; s++)
            {
                worst = Math.Max(worst, LargestDifference(kernelStates[s].H, torchStates[s].H));
                worst = Math.Max(worst, LargestDifference(kernelStates[s].C, torchStates[s].C));
            }
        }
        return worst;
    }

    private static List<RecurrentState> NewStates(ModelSettings settings, int count) =>
        Enumerable.Range(0, count).Select(_ => new RecurrentState(settings.Layers, settings.HiddenSize)).ToList();

    /// <summary>Values in [-3, 3], wide enough to drive the gates into saturation now and then.</summary>
    private static float[] RandomRow(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();

    private static double LargestDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }
}
