using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Tests.Inference;

public class TorchStepperTests
{
    [Fact]
    public void Stepping_each_symbol_one_tick_at_a_time_equals_running_the_whole_sequence()
    {
        torch.manual_seed(11);
        var settings = new ModelSettings { HiddenSize = 32, Layers = 2, Horizons = 3 };
        using var network = new LstmForecaster(settings);
        network.eval();
        const int symbols = 5, steps = 80;
        int f = settings.InputSize, outputs = settings.OutputSize;
        var random = new Random(5);
        var x = Enumerable.Range(0, symbols * steps * f).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        float[] whole;
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            whole = network.forward(torch.tensor(x, [symbols, steps, f])).data<float>().ToArray();
        }

        var stepper = new TorchStepper(network);
        var states = Enumerable.Range(0, symbols).Select(_ => new RecurrentState(settings.Layers, settings.HiddenSize)).ToList();
        var inputs = new float[symbols * f];
        var raw = new float[symbols * outputs];
        double worst = 0;
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < symbols; s++)
                Array.Copy(x, (s * steps + t) * f, inputs, s * f, f);
            stepper.Step(states, inputs, raw);
            for (int s = 0; s < symbols; s++)
                for (int o = 0; o < outputs; o++)
                    worst = Math.Max(worst, Math.Abs(raw[s * outputs + o] - whole[(s * steps + t) * outputs + o]));
        }
        Assert.True(worst < 1e-5, $"largest difference {worst:E2}");
    }

    [Fact]
    public void A_symbol_stepped_alone_gets_the_same_outputs_as_in_a_batch()
    {
        torch.manual_seed(12);
        var settings = new ModelSettings { HiddenSize = 16, Layers = 2, Horizons = 2 };
        using var network = new LstmForecaster(settings);
        var stepper = new TorchStepper(network);
        int f = settings.InputSize, outputs = settings.OutputSize;
        var alone = new RecurrentState(settings.Layers, settings.HiddenSize);
        var batched = Enumerable.Range(0, 3).Select(_ => new RecurrentState(settings.Layers, settings.HiddenSize)).ToList();
        var random = new Random(9);
        for (int t = 0; t < 30; t++)
        {
            var row = Enumerable.Range(0, f).Select(_ => (float)random.NextDouble()).ToArray();
            var batchInputs = new float[3 * f];
            Array.Copy(row, 0, batchInputs, f, f);   // the symbol is the middle row
            for (int k = 0; k < f; k++) { batchInputs[k] = -row[k]; batchInputs[2 * f + k] = 2 * row[k]; }
            var rawAlone = new float[outputs];
            var rawBatch = new float[3 * outputs];
            stepper.Step([alone], row, rawAlone);
            stepper.Step(batched, batchInputs, rawBatch);
            for (int o = 0; o < outputs; o++) Assert.Equal(rawAlone[o], rawBatch[outputs + o], 5);
        }
        for (int j = 0; j < alone.H.Length; j++) Assert.Equal(alone.H[j], batched[1].H[j], 5);
    }
}
