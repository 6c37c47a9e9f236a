using TorchSharp.Modules;

namespace StreamLstm.Tests.Support;

/// <summary>
/// A plain C# LSTM in double precision, written from the standard equations (PyTorch's gate order i, f, g, o):
/// i = s(W_ii x + b_ii + W_hi h + b_hi), f = s(W_if x + b_if + W_hf h + b_hf), g = tanh(W_ig x + b_ig + W_hg h + b_hg),
/// o = s(W_io x + b_io + W_ho h + b_ho), c' = f * c + i * g, h' = o * tanh(c').
/// Independent of TorchSharp except for reading the weights.
/// </summary>
internal sealed class ReferenceLstm
{
    private readonly double[][] _wih, _whh, _bih, _bhh;
    private readonly int[] _inputs;
    private readonly int _hidden;

    public ReferenceLstm(LSTM lstm, int layers, int inputSize, int hidden)
    {
        _hidden = hidden;
        var parameters = lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().Select(v => (double)v).ToArray());
        _wih = new double[layers][]; _whh = new double[layers][]; _bih = new double[layers][]; _bhh = new double[layers][];
        _inputs = new int[layers];
        for (int l = 0; l < layers; l++)
        {
            _wih[l] = parameters[$"weight_ih_l{l}"];
            _whh[l] = parameters[$"weight_hh_l{l}"];
            _bih[l] = parameters[$"bias_ih_l{l}"];
            _bhh[l] = parameters[$"bias_hh_l{l}"];
            _inputs[l] = l == 0 ? inputSize : hidden;
        }
        H = new double[layers][];
        C = new double[layers][];
        for (int l = 0; l < layers; l++) { H[l] = new double[hidden]; C[l] = new double[hidden]; }
    }

    public double[][] H { get; }
    public double[][] C { get; }

    /// <summary>One step; returns the top layer's h.</summary>
    public double[] Step(double[] x)
    {
        var input = x;
        for (int l = 0; l < H.Length; l++)
        {
            int n = _inputs[l], hs = _hidden;
            var gates = new double[4 * hs];
            for (int r = 0; r < 4 * hs; r++)
            {
                double sum = _bih[l][r] + _bhh[l][r];
                for (int k = 0; k < n; k++) sum += _wih[l][r * n + k] * input[k];
                for (int k = 0; k < hs; k++) sum += _whh[l][r * hs + k] * H[l][k];
                gates[r] = sum;
            }
            for (int j = 0; j < hs; j++)
            {
                double i = Sigmoid(gates[j]);
                double f = Sigmoid(gates[hs + j]);
                double g = Math.Tanh(gates[2 * hs + j]);
                double o = Sigmoid(gates[3 * hs + j]);
                C[l][j] = f * C[l][j] + i * g;
                H[l][j] = o * Math.Tanh(C[l][j]);
            }
            input = (double[])H[l].Clone();
        }
        return input;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
