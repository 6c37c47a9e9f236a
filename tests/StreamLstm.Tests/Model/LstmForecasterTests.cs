using StreamLstm.Model;
using StreamLstm.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Tests.Model;

public class LstmForecasterTests
{
    [Fact]
    public void TorchSharp_lstm_matches_the_standard_equations_in_plain_csharp()
    {
        torch.manual_seed(7);
        var settings = new ModelSettings { HiddenSize = 16, Layers = 2, Horizons = 2 };
        using var network = new LstmForecaster(settings);
        network.eval();
        var reference = new ReferenceLstm(network.Lstm, settings.Layers, settings.InputSize, settings.HiddenSize);
        var random = new Random(3);
        const int steps = 50;
        var x = Enumerable.Range(0, steps * settings.InputSize).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var (sequence, h, c) = network.Lstm.forward(torch.tensor(x, [1, steps, settings.InputSize]));
        var torchOut = sequence.data<float>().ToArray();

        double worst = 0;
        for (int t = 0; t < steps; t++)
        {
            var top = reference.Step(x.Skip(t * settings.InputSize).Take(settings.InputSize).Select(v => (double)v).ToArray());
            for (int j = 0; j < settings.HiddenSize; j++)
                worst = Math.Max(worst, Math.Abs(top[j] - torchOut[t * settings.HiddenSize + j]));
        }
        var finalC = c.data<float>().ToArray();
        for (int l = 0; l < settings.Layers; l++)
            for (int j = 0; j < settings.HiddenSize; j++)
                worst = Math.Max(worst, Math.Abs(reference.C[l][j] - finalC[l * settings.HiddenSize + j]));
        Assert.True(worst < 1e-5, $"largest difference {worst:E2}");
    }

    [Fact]
    public void The_reference_uses_the_forget_gate_on_the_previous_cell_not_on_the_candidate()
    {
        // With the input gate closed (i = 0) the cell must keep f * c_{t-1}; the wrong f * g form would not.
        torch.manual_seed(1);
        var settings = new ModelSettings { HiddenSize = 4, Layers = 1, Horizons = 1 };
        using var network = new LstmForecaster(settings);
        using (torch.no_grad())
        {
            foreach (var (name, p) in network.Lstm.named_parameters())
            {
                p.zero_();
                if (name.StartsWith("bias_ih"))
                {
                    p.narrow(0, 0, 4).fill_(-1000);   // input gate shut
                    p.narrow(0, 4, 4).fill_(0);       // forget gate 0.5
                    p.narrow(0, 8, 4).fill_(1);       // candidate tanh(1)
                }
            }
        }
        var reference = new ReferenceLstm(network.Lstm, 1, settings.InputSize, settings.HiddenSize);
        reference.C[0][0] = 2.0;
        reference.Step(new double[settings.InputSize]);
        Assert.Equal(1.0, reference.C[0][0], 12);
    }
}
