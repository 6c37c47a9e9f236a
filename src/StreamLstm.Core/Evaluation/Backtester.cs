using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Evaluation;

/// <summary>
/// Walk-forward evaluation with no look-ahead. Every symbol's ticks run through the worker's per-tick path
/// (<see cref="BatchForecaster"/>) from its first tick, statefully; forecasts made at the last
/// <c>1 - trainFraction</c> of each symbol's ticks are scored against the price <c>horizon</c> ticks later.
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
        var result = new BacktestResult { Horizon = horizon, Model = model.Id };
        serving ??= new ServingSettings();
        var symbols = groups.Select(g => new SymbolRun(g.Key, g.Value, SplitIndex(g.Value.Count, trainFraction), new SymbolState(g.Key, model.Settings, serving))).ToList();
        var forecaster = new BatchForecaster(model);

        int rounds = symbols.Count == 0 ? 0 : symbols.Max(s => s.Ticks.Count);
        var active = new List<SymbolRun>();
        var states = new List<SymbolState>();
        var batchTicks = new List<Tick>();
        var forecasts = new Forecast?[symbols.Count];
        for (int i = 0; i < rounds; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            active.Clear();
            states.Clear();
            batchTicks.Clear();
            foreach (var s in symbols)
            {
                if (i >= s.Ticks.Count) continue;
                active.Add(s);
                states.Add(s.State);
                batchTicks.Add(s.Ticks[i]);
            }
            forecaster.Advance(states, batchTicks, forecasts);
            for (int j = 0; j < active.Count; j++)
            {
                var s = active[j];
                double last = s.Ticks[i].Price;
                s.Band.Add(last);
                if (i < s.Split || i + horizon >= s.Ticks.Count || forecasts[j] is not { } forecast) continue;
                var actual = s.Ticks[i + horizon];
                int h = horizon - 1;
                s.Result.Score.Add(last, forecast.Point[h], forecast.Lower[h], forecast.Upper[h], actual.Price);
                s.Result.Points.Add(new ScoredPoint(actual.Timestamp, actual.Price, forecast.Point[h], forecast.Lower[h], forecast.Upper[h]));
                var (lower, upper) = s.Band.Band(horizon);
                result.Baseline.Add(last, last, lower, upper, actual.Price);
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

    private sealed class SymbolRun(string symbol, List<Tick> ticks, int split, SymbolState state)
    {
        public List<Tick> Ticks { get; } = ticks;
        public int Split { get; } = split;
        public SymbolState State { get; } = state;
        public RollingVolatilityBand Band { get; } = new();
        public SymbolBacktest Result { get; } = new(symbol);
    }
}
