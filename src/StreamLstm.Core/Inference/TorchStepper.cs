using StreamLstm.Features;
using StreamLstm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Inference;

/// <summary>
/// Advances a batch of symbols' LSTM states by one tick each through TorchSharp: states are gathered into
/// [layers, batch, hidden] tensors, stepped once, and scattered back. All tensors are disposed per call.
/// </summary>
public sealed class TorchStepper : IRecurrentStepper
{
    private readonly LstmForecaster _network;
    private readonly int _layers, _hidden, _outputs;

    public TorchStepper(LstmForecaster network)
    {
        _network = network;
        _network.eval();
        _layers = network.Settings.Layers;
        _hidden = network.Settings.HiddenSize;
        _outputs = network.Settings.OutputSize;
    }

    /// <summary>
    /// Steps each state once with its row of <paramref name="inputs"/> ([batch * features]) and writes the raw outputs
    /// ([batch * 3H]) into <paramref name="raw"/>.
    /// </summary>
    public void Step(IReadOnlyList<RecurrentState> states, ReadOnlySpan<float> inputs, Span<float> raw)
    {
        int b = states.Count, f = _network.Settings.InputSize, size = _layers * b * _hidden;
        if (b == 0) return;
        var h = new float[size];
        var c = new float[size];
        for (int i = 0; i < b; i++)
        {
            for (int l = 0; l < _layers; l++)
            {
                Array.Copy(states[i].H, l * _hidden, h, (l * b + i) * _hidden, _hidden);
                Array.Copy(states[i].C, l * _hidden, c, (l * b + i) * _hidden, _hidden);
            }
        }
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(inputs[..(b * f)].ToArray(), [b, 1, f]);
        var (output, hN, cN) = _network.Forward(x, (torch.tensor(h, [_layers, b, _hidden]), torch.tensor(c, [_layers, b, _hidden])));
        TensorData.Floats(output.contiguous()).CopyTo(raw[..(b * _outputs)]);
        var hOut = TensorData.Floats(hN.contiguous());
        var cOut = TensorData.Floats(cN.contiguous());
        for (int i = 0; i < b; i++)
        {
            for (int l = 0; l < _layers; l++)
            {
                hOut.Slice((l * b + i) * _hidden, _hidden).CopyTo(states[i].H.AsSpan(l * _hidden, _hidden));
                cOut.Slice((l * b + i) * _hidden, _hidden).CopyTo(states[i].C.AsSpan(l * _hidden, _hidden));
            }
        }
    }
}
