using System.Diagnostics;
using StreamLstm.Features;
using StreamLstm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Learning;

/// <summary>
/// Trains a <see cref="LstmForecaster"/> on windows of symbols' series with Adam, gradient clipping and early stopping
/// on a validation split that follows the training part in time (never shuffled across time). Validation runs the
/// network statefully over the held-out tail, as the worker does, and calibrates the point shrinkage and the interval
/// scale on it. Every tensor lives in a dispose scope, so native memory stays flat across epochs.
/// </summary>
public sealed class ModelTrainer
{
    /// <summary>Steps before the validation split that warm the recurrent state when validating.</summary>
    public const int ValidationBurnIn = 500;

    private static readonly float[] Quantiles = [0.5f, 0.1f, 0.9f];

    private readonly ModelSettings _model;
    private readonly TrainingSettings _training;

    public ModelTrainer(ModelSettings model, TrainingSettings training)
    {
        model.Validate();
        training.Validate();
        _model = model;
        _training = training;
    }

    /// <summary>
    /// Trains on <paramref name="series"/>; throws <see cref="InvalidOperationException"/> when there is too little data.
    /// With <c>Model:Features</c> <c>auto</c>, a <c>price</c> model is trained, and where at least half the steps carry
    /// a quote or a volume, a <c>quote</c> model too: the one with the lower loss on the validation split (the tail of
    /// the training part, never the part a backtest scores) is kept, and <see cref="TrainingResult.FeatureChoice"/>
    /// says what was compared.
    /// </summary>
    public TrainingResult Train(IReadOnlyList<SymbolSeries> series, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_model.Features != FeatureSets.Auto) return TrainShape(series, progress, cancellationToken);
        var price = new ModelTrainer(_model.WithFeatures(FeatureSets.Price), _training).TrainShape(series, progress, cancellationToken);
        long steps = series.Sum(s => (long)s.Length), extra = series.Sum(s => (long)s.ExtraInputs);
        if (steps == 0 || extra * 2 < steps)
            return price with { FeatureChoice = $"price: {Share(extra, steps)} of the steps carry a quote or a volume, under half" };
        TrainingResult quote;
        try
        {
            quote = new ModelTrainer(_model.WithFeatures(FeatureSets.Quote), _training).TrainShape(series, progress, cancellationToken);
        }
        catch
        {
            price.Network.Dispose();
            throw;
        }
        var (kept, other) = quote.Validation.Loss < price.Validation.Loss ? (quote, price) : (price, quote);
        other.Network.Dispose();
        return kept with
        {
            FeatureChoice = $"{kept.Network.Settings.Features}: validation loss {quote.Validation.Loss:F5} with quote features, " +
                $"{price.Validation.Loss:F5} with price features ({Share(extra, steps)} of the steps carry a quote or a volume)",
        };
    }

    private static string Share(long part, long whole) => whole == 0 ? "none" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{100.0 * part / whole:F0}%");

    private TrainingResult TrainShape(IReadOnlyList<SymbolSeries> series, IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var splits = series.Select(s => new Split(s, (int)(s.Length * (1 - _training.ValidationFraction)), _model)).ToList();
        var usable = splits.Where(s => s.TrainEnd >= _model.Window && s.Length - s.TrainEnd >= 2).ToList();
        if (usable.Count == 0)
            throw new InvalidOperationException(
                $"too little data to train: each symbol needs at least {(int)Math.Ceiling((_model.Window + 1) / (1 - _training.ValidationFraction)) + 1} ticks");

        torch.manual_seed(_training.Seed);
        var random = new Random(_training.Seed);
        var network = new LstmForecaster(_model);
        using var optimizer = torch.optim.Adam(network.parameters(), _training.LearningRate);
        var validation = new ValidationSet(usable, _model);

        double bestLoss = double.PositiveInfinity;
        Tensor[]? best = null;
        int sinceBest = 0, epochs = 0, windowsPerEpoch = 0;
        try
        {
            for (int epoch = 1; epoch <= _training.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var windows = Windows(usable, random);
                (double trainLoss, windowsPerEpoch) = TrainEpoch(network, optimizer, windows, cancellationToken);
                double valLoss = validation.Loss(network);
                epochs = epoch;
                if (valLoss < bestLoss - 1e-6)
                {
                    bestLoss = valLoss;
                    sinceBest = 0;
                    DisposeAll(best);
                    best = Snapshot(network);
                }
                else
                {
                    sinceBest++;
                }
                progress?.Report(new EpochReport(epoch, _training.Epochs, trainLoss, valLoss, bestLoss, stopwatch.Elapsed));
                if (sinceBest >= _training.Patience) break;
                if (_training.MaxDuration is { } limit && stopwatch.Elapsed >= limit) break;
            }
            if (best is not null) Restore(network, best);
        }
        finally
        {
            DisposeAll(best);
        }

        network.eval();
        var (calibration, summary) = validation.Calibrate(network, bestLoss);
        return new TrainingResult(network, calibration, summary, epochs, windowsPerEpoch);
    }

    private List<(Split Split, int Start)> Windows(List<Split> splits, Random random)
    {
        var windows = new List<(Split, int)>();
        foreach (var split in splits)
        {
            for (int start = random.Next(_training.Stride); start + _model.Window <= split.TrainEnd; start += _training.Stride)
                windows.Add((split, start));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(windows));
        return windows;
    }

    /// <summary>One pass over the shuffled windows; returns the mean loss and the windows trained on.</summary>
    private (double Loss, int Windows) TrainEpoch(LstmForecaster network, optim.Optimizer optimizer, List<(Split Split, int Start)> windows, CancellationToken cancellationToken)
    {
        network.train();
        using var grad = torch.enable_grad();
        int w = _model.Window, f = _model.InputSize, h = _model.Horizons;
        var x = new float[_training.BatchSize * w * f];
        var y = new float[_training.BatchSize * w * h];
        var m = new float[_training.BatchSize * w * h];
        double lossSum = 0;
        int batches = 0;
        // A short last batch costs nearly as much as a full one (the LSTM is sequential in time); it is dropped when
        // there is a full one. The windows dropped differ every epoch, as the order is shuffled.
        int usable = windows.Count >= _training.BatchSize ? windows.Count - windows.Count % _training.BatchSize : windows.Count;
        for (int first = 0; first < usable; first += _training.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(_training.BatchSize, windows.Count - first);
            Array.Clear(m);
            for (int i = 0; i < b; i++)
            {
                var (split, start) = windows[first + i];
                split.Series.CopyFeatures(start, w, f, x.AsSpan(i * w * f, w * f));
                Array.Copy(split.TrainTargets, start * h, y, i * w * h, w * h);
                Array.Copy(split.TrainMask, (start + _model.BurnIn) * h, m, (i * w + _model.BurnIn) * h, (w - _model.BurnIn) * h);
            }
            using var scope = torch.NewDisposeScope();
            var input = torch.tensor(x.AsSpan(0, b * w * f).ToArray(), [b, w, f]);
            var target = torch.tensor(y.AsSpan(0, b * w * h).ToArray(), [b, w, h]).narrow(1, _model.BurnIn, w - _model.BurnIn);
            var mask = torch.tensor(m.AsSpan(0, b * w * h).ToArray(), [b, w, h]).narrow(1, _model.BurnIn, w - _model.BurnIn);
            var loss = PinballLoss(network, network.ForwardFrom(input, _model.BurnIn), target, mask);
            optimizer.zero_grad();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(network.parameters(), _training.ClipNorm);
            optimizer.step();
            lossSum += loss.item<float>();
            batches++;
        }
        return (batches == 0 ? double.NaN : lossSum / batches, usable);
    }

    /// <summary>Masked pinball loss of the median and the 10% and 90% quantiles, averaged over labelled points.</summary>
    internal static Tensor PinballLoss(LstmForecaster network, Tensor raw, Tensor target, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var (median, lower, upper) = network.Decode(raw);
        var residual = target.unsqueeze(-1) - torch.stack([median, lower, upper], -1);
        var quantiles = torch.tensor(Quantiles);
        var pinball = torch.maximum(residual * quantiles, residual * (quantiles - 1)).sum(-1);
        return ((pinball * mask).sum() / mask.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    private static Tensor[] Snapshot(LstmForecaster network)
    {
        using var _ = torch.no_grad();
        return network.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    private static void Restore(LstmForecaster network, Tensor[] saved)
    {
        using var _ = torch.no_grad();
        int i = 0;
        foreach (var p in network.parameters()) p.copy_(saved[i++]);
    }

    private static void DisposeAll(Tensor[]? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors) t.Dispose();
    }

    /// <summary>A symbol's series with its training/validation boundary and training targets (labels never cross it).</summary>
    private sealed class Split
    {
        public Split(SymbolSeries series, int trainEnd, ModelSettings model)
        {
            Series = series;
            TrainEnd = trainEnd;
            int h = model.Horizons;
            TrainTargets = new float[series.Length * h];
            TrainMask = new float[series.Length * h];
            for (int t = 0; t < trainEnd; t++)
            {
                for (int k = 0; k < h; k++)
                {
                    if (series.Target(t, k + 1, trainEnd) is { } z)
                    {
                        TrainTargets[t * h + k] = z;
                        TrainMask[t * h + k] = 1;
                    }
                }
            }
        }

        public SymbolSeries Series { get; }
        public int TrainEnd { get; }
        public int Length => Series.Length;
        public float[] TrainTargets { get; }
        public float[] TrainMask { get; }
    }

    /// <summary>
    /// The held-out tail of every symbol, run statefully from <see cref="ValidationBurnIn"/> steps before it, all
    /// symbols in one padded batch.
    /// </summary>
    private sealed class ValidationSet
    {
        private readonly List<Split> _splits;
        private readonly ModelSettings _model;
        private readonly int[] _starts;
        private readonly int _steps;
        private readonly float[] _x, _y, _m;

        public ValidationSet(List<Split> splits, ModelSettings model)
        {
            _splits = splits;
            _model = model;
            _starts = splits.Select(s => Math.Max(0, s.TrainEnd - ValidationBurnIn)).ToArray();
            _steps = splits.Select((s, i) => s.Length - _starts[i]).Max();
            int f = model.InputSize, h = model.Horizons, n = splits.Count;
            _x = new float[n * _steps * f];
            _y = new float[n * _steps * h];
            _m = new float[n * _steps * h];
            for (int i = 0; i < n; i++)
            {
                var s = splits[i].Series;
                int start = _starts[i];
                s.CopyFeatures(start, s.Length - start, f, _x.AsSpan(i * _steps * f, (s.Length - start) * f));
                for (int t = splits[i].TrainEnd; t < s.Length; t++)
                {
                    for (int k = 0; k < h; k++)
                    {
                        if (s.Target(t, k + 1, s.Length) is { } z)
                        {
                            int at = (i * _steps + t - start) * h + k;
                            _y[at] = z;
                            _m[at] = 1;
                        }
                    }
                }
            }
        }

        public double Loss(LstmForecaster network)
        {
            network.eval();
            using var _ = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var (raw, target, mask) = Run(network);
            return PinballLoss(network, raw, target, mask).item<float>();
        }

        private (Tensor Raw, Tensor Target, Tensor Mask) Run(LstmForecaster network)
        {
            int n = _splits.Count, f = _model.InputSize, h = _model.Horizons;
            var input = torch.tensor(_x, [n, _steps, f]);
            return (network.forward(input), torch.tensor(_y, [n, _steps, h]), torch.tensor(_m, [n, _steps, h]));
        }

        /// <summary>Fits per-horizon shrinkage (point MAE in price units) and interval scale (80% coverage).</summary>
        public (Calibration, ValidationSummary) Calibrate(LstmForecaster network, double loss)
        {
            float[] raw;
            using (torch.no_grad())
            using (var scope = torch.NewDisposeScope())
            {
                raw = Run(network).Raw.data<float>().ToArray();
            }
            int horizons = _model.Horizons;
            var shrink = new double[horizons];
            var scale = new double[horizons];
            var relMae = new double[horizons];
            var coverage = new double[horizons];
            int points = 0;
            var samples = new List<ValidationPoint>();
            for (int k = 0; k < horizons; k++)
            {
                samples.Clear();
                for (int i = 0; i < _splits.Count; i++)
                {
                    var s = _splits[i].Series;
                    for (int t = _splits[i].TrainEnd; t < s.Length; t++)
                    {
                        int row = i * _steps + t - _starts[i];
                        if (_m[row * horizons + k] == 0) continue;
                        int o = row * _model.OutputSize;
                        samples.Add(new ValidationPoint(s.Prices[t], s.Prices[t + k + 1], s.Sigmas[t] * Math.Sqrt(k + 1),
                            raw[o + k], Inference.ForecastDecoder.Softplus(raw[o + horizons + k]),
                            Inference.ForecastDecoder.Softplus(raw[o + 2 * horizons + k])));
                    }
                }
                if (k == 0) points = samples.Count;
                (shrink[k], relMae[k]) = FitShrink(samples);
                (scale[k], coverage[k]) = FitIntervalScale(samples);
            }
            return (new Calibration(shrink, scale), new ValidationSummary(loss, points, relMae, coverage));
        }
    }

    private readonly record struct ValidationPoint(double Price, double Actual, double Step, double Median, double Below, double Above)
    {
        public double Z => Math.Log(Actual / Price) / Step;
    }

    /// <summary>
    /// The share of the median move (0, 0.05, ..., 1) that minimizes the point forecast's MAE in price units on
    /// validation: 0 serves the last price, so a model with nothing to say does not add noise to it.
    /// </summary>
    private static (double Shrink, double RelMae) FitShrink(List<ValidationPoint> samples)
    {
        if (samples.Count == 0) return (0, double.NaN);
        double naive = 0;
        foreach (var p in samples) naive += Math.Abs(p.Actual - p.Price);
        double bestError = double.PositiveInfinity, best = 0;
        for (int g = 0; g <= 20; g++)
        {
            double a = g / 20.0, error = 0;
            foreach (var p in samples) error += Math.Abs(p.Actual - p.Price * Math.Exp(a * p.Median * p.Step));
            if (error < bestError * (1 - 1e-9))
            {
                bestError = error;
                best = a;
            }
        }
        return (best, naive > 0 ? bestError / naive : double.NaN);
    }

    /// <summary>
    /// Scaled conformal calibration: the smallest multiple k of the quantile spreads around the median such that
    /// the band holds ceil((n+1) * 0.8) of the n validation actuals.
    /// </summary>
    private static (double Scale, double Coverage) FitIntervalScale(List<ValidationPoint> samples)
    {
        if (samples.Count == 0) return (1, double.NaN);
        var scores = new double[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var p = samples[i];
            double z = p.Z;
            scores[i] = Math.Max((p.Median - z) / Math.Max(p.Below, 1e-6), (z - p.Median) / Math.Max(p.Above, 1e-6));
        }
        Array.Sort(scores);
        int rank = Math.Min(samples.Count, (int)Math.Ceiling((samples.Count + 1) * 0.8)) - 1;
        double k = Math.Max(scores[rank], 1e-3);
        int inside = 0;
        foreach (var p in samples)
        {
            double lower = p.Price * Math.Exp((p.Median - k * p.Below) * p.Step);
            double upper = p.Price * Math.Exp((p.Median + k * p.Above) * p.Step);
            if (p.Actual >= lower && p.Actual <= upper) inside++;
        }
        return (k, (double)inside / samples.Count);
    }
}
