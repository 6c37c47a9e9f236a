using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StreamLstm.Model;

/// <summary>
/// A stacked LSTM with a linear head. Per step and horizon it outputs a median of the normalized move and the
/// distances below and above it of the 10% and 90% quantiles (softplus keeps them ordered).
/// The LSTM is the standard one: c_t = f_t * c_{t-1} + i_t * g_t, h_t = o_t * tanh(c_t).
/// </summary>
public sealed class LstmForecaster : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm;
    private readonly Linear head;

    /// <summary>Creates a forecaster with freshly initialized weights (seeded by <c>torch.manual_seed</c>).</summary>
    public LstmForecaster(ModelSettings settings) : base(nameof(LstmForecaster))
    {
        Settings = settings;
        lstm = nn.LSTM(settings.InputSize, settings.HiddenSize, settings.Layers, batchFirst: true,
            dropout: settings.Layers > 1 ? settings.Dropout : 0);
        head = nn.Linear(settings.HiddenSize, settings.OutputSize);
        RegisterComponents();
    }

    /// <summary>The settings this network was built with.</summary>
    public ModelSettings Settings { get; }

    /// <summary>The recurrent layers, for tests and engines that read the weights.</summary>
    internal LSTM Lstm => lstm;

    /// <summary>The output layer, for tests and engines that read the weights.</summary>
    internal Linear Head => head;

    /// <summary>Runs a batch of sequences [batch, time, features] from a zero state; returns raw outputs [batch, time, 3H].</summary>
    public override Tensor forward(Tensor input)
    {
        var (output, h, c) = Forward(input, null);
        h.Dispose();
        c.Dispose();
        return output;
    }

    /// <summary>
    /// Runs a batch from a zero state and returns raw outputs for the steps from <paramref name="firstStep"/> on
    /// ([batch, time - firstStep, 3H]): training skips the head on burn-in steps that carry no loss.
    /// </summary>
    public Tensor ForwardFrom(Tensor input, int firstStep)
    {
        var (sequence, h, c) = lstm.forward(input);
        using (sequence)
        using (h)
        using (c)
        using (var tail = sequence.narrow(1, firstStep, sequence.shape[1] - firstStep))
        {
            return head.forward(tail);
        }
    }

    /// <summary>Runs from the given state (h, c: [layers, batch, hidden]); returns raw outputs and the new state.</summary>
    public (Tensor Output, Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        var (sequence, h, c) = lstm.forward(input, state);
        using (sequence)
        {
            return (head.forward(sequence), h, c);
        }
    }

    /// <summary>Splits raw outputs into (median, lower, upper) of the normalized move, each [..., H].</summary>
    public (Tensor Median, Tensor Lower, Tensor Upper) Decode(Tensor raw)
    {
        int h = Settings.Horizons;
        var median = raw.narrow(-1, 0, h);
        using var below = nn.functional.softplus(raw.narrow(-1, h, h));
        using var above = nn.functional.softplus(raw.narrow(-1, 2 * h, h));
        return (median, median - below, median + above);
    }
}
