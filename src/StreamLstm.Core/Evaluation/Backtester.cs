using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Evaluation;

/// <summary>
/// Walk-forward evaluation with no look-ahead. Every symbol's ticks run through the worker's per-tick path
/// (<see cref="BatchForecaster"/>) from its first tick, statefully; forecasts made at the last
/// <c>1 - trainFraction</c> of each symbol's ticks are scored against the price <c>horizon</c> ticks later.
/// On the same ticks and points it scores three baselines whose point forecast is the last price: the cold-start naive
/// model through the same per-tick path and online calibration, a GARCH(1,1) fitted on each symbol's training part with
/// the same calibration, and the rolling-volatility band.
/// </summary>
public static class Backtester
{
    /// <summary>
    /// The tick index where scoring starts for a symbol with <paramref name="count"/> ticks; ticks before it are the
    /// training part.
    /// </summary>
    public static int SplitIndex(int count, double trainFraction) => (int)Math.Floor(count * trainFraction);

    /// <summary>The training part of each symbol (its first <paramref name="trainFraction"/> of ticks), as series.</summary>
    public static List<SymbolSeries> TrainingSeries(IEnumerable<Tick> ticks, double trainFraction, int warmup) =>
        SymbolSeries.GroupBySymbol(ticks)
            .Select(g => SymbolSeries.From(g.Key, g.Value.GetRange(0, SplitIndex(g.Value.Count, trainFraction)), warmup))
            .ToList();

    /// <summary>Runs the backtest of <paramref name="model"/> at <paramref name="horizon"/>.</summary>
    public static BacktestResult Run(IReadOnlyList<Tick> ticks, ModelVersion model, int horizon, double trainFraction,
        ServingSettings? serving = null, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        if (horizon < 1 || horizon > model.Settings.Horizons)
            throw new ArgumentOutOfRangeException(nameof(horizon), $"horizon {horizon} is outside the model's 1..{model.Settings.Horizons}");
        var groups = SymbolSeries.GroupBySymbol(ticks);
        var result = new BacktestResult { Horizon = horizon, Model = model.Id, Features = model.Settings.Resolved().Features };
        serving ??= new ServingSettings();
        using var naiveModel = NaiveModel.Create(model.Settings);
        var symbols = groups.Select(g =>
        {
            int split = SplitIndex(g.Value.Count, trainFraction);
            var garch = Garch11.Fit(TrainingReturns(g.Value, split));
            return new SymbolRun(g.Key, g.Value, split, new SymbolState(g.Key, model.Settings, serving), new SymbolState(g.Key, naiveModel.Settings, serving),
                new GarchBand(garch, horizon, serving.IntervalLearningRate), garch);
        }).ToList();
        var forecaster = new BatchForecaster(model);
        var naiveForecaster = new BatchForecaster(naiveModel);

        int rounds = symbols.Count == 0 ? 0 : symbols.Max(s => s.Ticks.Count);
        var active = new List<SymbolRun>();
        var states = new List<SymbolState>();
        var naiveStates = new List<SymbolState>();
        var batchTicks = new List<Tick>();
        var forecasts = new Forecast?[symbols.Count];
        var naiveForecasts = new Forecast?[symbols.Count];
        for (int i = 0; i < rounds; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            active.Clear();
            states.Clear();
            naiveStates.Clear();
            batchTicks.Clear();
            foreach (var s in symbols)
            {
                if (i >= s.Ticks.Count) continue;
                active.Add(s);
                states.Add(s.State);
                naiveStates.Add(s.NaiveState);
                batchTicks.Add(s.Ticks[i]);
            }
            forecaster.Advance(states, batchTicks, forecasts);
            naiveForecaster.Advance(naiveStates, batchTicks, naiveForecasts);
            for (int j = 0; j < active.Count; j++)
            {
                var s = active[j];
                var tick = s.Ticks[i];
                double last = tick.Price;
                s.Band.Add(last);
                s.Garch.Add(last);
                // The naive model has the model's warm-up, so it forecasts at the same ticks.
                if (i < s.Split || i + horizon >= s.Ticks.Count || forecasts[j] is not { } forecast || naiveForecasts[j] is not { } naive) continue;
                var actual = s.Ticks[i + horizon];
                int h = horizon - 1;
                s.Result.Score.Add(last, forecast.Point[h], forecast.Lower[h], forecast.Upper[h], actual.Price);
                result.Naive.Add(last, naive.Point[h], naive.Lower[h], naive.Upper[h], actual.Price);
                result.Garch.Add(last, last, s.Garch.Lower, s.Garch.Upper, actual.Price);
                var (lower, upper) = s.Band.Band(horizon);
                result.Baseline.Add(last, last, lower, upper, actual.Price);
                s.Result.Points.Add(new ScoredPoint(tick.Timestamp, actual.Timestamp, last, actual.Price, forecast.Point[h], forecast.Lower[h], forecast.Upper[h],
                    forecast.Naive[h] ? ForecastTracker.NaiveTag : model.Id, naive.Lower[h], naive.Upper[h], s.Garch.Lower, s.Garch.Upper));
            }
            if ((i & 255) == 0) progress?.Report((double)i / rounds);
        }
        progress?.Report(1);

        foreach (var s in symbols)
        {
            if (s.Result.Score.N == 0)
            {
                result.Skipped.Add(s.Result.Symbol);
                continue;
            }
            result.Symbols.Add(s.Result);
            result.Overall.Merge(s.Result.Score);
        }
        return result;
    }

    /// <summary>The log returns of the first <paramref name="split"/> ticks (the training part).</summary>
    private static double[] TrainingReturns(List<Tick> ticks, int split)
    {
        var returns = new double[Math.Max(0, split - 1)];
        for (int i = 1; i < split; i++) returns[i - 1] = Math.Log(ticks[i].Price / ticks[i - 1].Price);
        return returns;
    }

    private sealed class SymbolRun(string symbol, List<Tick> ticks, int split, SymbolState state, SymbolState naiveState, GarchBand garch, Garch11 fit)
    {
        public List<Tick> Ticks { get; } = ticks;
        public int Split { get; } = split;
        public SymbolState State { get; } = state;
        public SymbolState NaiveState { get; } = naiveState;
        public RollingVolatilityBand Band { get; } = new();
        public GarchBand Garch { get; } = garch;
        public SymbolBacktest Result { get; } = new(symbol, fit);
    }
}
