using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>
/// The worker's per-tick path for a micro-batch of ticks: late ticks are skipped and counted; every other tick gets
/// its <c>price</c> point, advances its symbol's features and LSTM state by one step (all symbols of the batch in one
/// batched step; a symbol with several ticks in the batch takes one per round, in order), and, once the symbol is
/// warm, its <c>forecast</c> points for every horizon, and a <c>forecast_error</c> point for every earlier forecast
/// whose target this tick is. Not thread-safe: one thread drives it.
/// </summary>
public sealed class TickProcessor
{
    private readonly Dictionary<string, SymbolState> _symbols = new(StringComparer.Ordinal);
    private ModelVersion _model;
    private readonly ServingSettings _serving;
    private BatchForecaster _forecaster;
    private readonly PipelineCounters _counters;
    private readonly List<SymbolState> _roundStates = [];
    private readonly List<Tick> _roundTicks = [];
    private readonly List<int> _roundRepeats = [];
    private Forecast?[] _forecasts = new Forecast?[64];
    private long _round;

    public TickProcessor(ModelVersion model, ServingSettings serving, PipelineCounters counters)
    {
        _model = model;
        _serving = serving;
        _forecaster = new BatchForecaster(model);
        _counters = counters;
    }

    /// <summary>Running score of the served one-tick-ahead forecasts against the ticks they were for, with naive's.</summary>
    public Evaluation.ForecastScore LiveScore { get; } = new();

    /// <summary>Symbols with state.</summary>
    public int Symbols => _symbols.Count;

    /// <summary>The model serving right now.</summary>
    public ModelVersion Model => _model;

    /// <summary>
    /// Hands serving over to <paramref name="model"/> between ticks: every symbol's state is re-warmed from its recent
    /// history with the new model first (see <see cref="BatchForecaster.Rewarm"/>). Returns the model that served before;
    /// the caller disposes it.
    /// </summary>
    public ModelVersion SwapModel(ModelVersion model)
    {
        var forecaster = new BatchForecaster(model);
        forecaster.Rewarm(_symbols.Values.ToList(), _serving, LiveScore);
        var previous = _model;
        _model = model;
        _forecaster = forecaster;
        return previous;
    }

    /// <summary>Drops the state of symbols whose ticks came from <paramref name="partitions"/> (revoked or lost).</summary>
    public void Forget(IReadOnlyCollection<int> partitions)
    {
        foreach (var (symbol, state) in _symbols.ToList())
            if (partitions.Contains(state.Partition)) _symbols.Remove(symbol);
    }

    /// <summary>Processes <paramref name="ticks"/> in order, appending points and positions to <paramref name="batch"/>.</summary>
    public void Process(ReadOnlySpan<IngestedTick> ticks, PointBatch batch)
    {
        int points = 0, forecasts = 0, late = 0;
        _round++;
        foreach (var ingested in ticks)
        {
            var tick = ingested.Tick;
            batch.Positions.Add(ingested.Position);
            if (!_symbols.TryGetValue(tick.Symbol, out var state))
                _symbols[tick.Symbol] = state = new SymbolState(tick.Symbol, _model.Settings, _serving, LiveScore);
            state.Partition = ingested.Position.Partition;
            if (tick.Timestamp < state.LastTime)
            {
                late++;
                continue;
            }
            if (state.Round == _round)
            {
                (points, forecasts) = Add((points, forecasts), Flush(batch));
                _round++;
            }
            state.Repeat = tick.Timestamp == state.LastTime ? state.Repeat + 1 : 0;
            state.Round = _round;
            state.LastTime = tick.Timestamp;
            LineProtocol.Price(batch.Lines, tick.Symbol, tick.Price, LineProtocol.Nanoseconds(tick.Timestamp, state.Repeat));
            points++;
            _roundStates.Add(state);
            _roundTicks.Add(tick);
            _roundRepeats.Add(state.Repeat);
        }
        (points, forecasts) = Add((points, forecasts), Flush(batch));
        batch.Points += points;
        _counters.AddTicks(ticks.Length);
        _counters.AddLate(late);
        _counters.AddForecasts(forecasts);
        _counters.AddPoints(points);
    }

    private static (int, int) Add((int, int) a, (int, int) b) => (a.Item1 + b.Item1, a.Item2 + b.Item2);

    private (int Points, int Forecasts) Flush(PointBatch batch)
    {
        int n = _roundStates.Count;
        if (n == 0) return (0, 0);
        if (_forecasts.Length < n) _forecasts = new Forecast?[Math.Max(n, _forecasts.Length * 2)];
        _forecaster.Advance(_roundStates, _roundTicks, _forecasts);
        int points = 0, forecasts = 0;
        for (int i = 0; i < n; i++)
        {
            long time = LineProtocol.Nanoseconds(_roundTicks[i].Timestamp, _roundRepeats[i]);
            var tracker = _roundStates[i].Tracker;
            for (int h = 0; h < _model.Settings.Horizons; h++)
            {
                if (tracker.Resolved(h) is not { } resolved) continue;
                LineProtocol.ForecastError(batch.Lines, _roundTicks[i].Symbol, h + 1, resolved.ServedBy,
                    resolved.AbsError, resolved.NaiveAbsError, resolved.Covered, time);
                points++;
            }
            if (_forecasts[i] is not { } forecast) continue;
            forecasts++;
            for (int h = 0; h < forecast.Horizons; h++)
            {
                LineProtocol.Forecast(batch.Lines, _roundTicks[i].Symbol, h + 1, forecast.Naive[h] ? ForecastTracker.NaiveTag : _model.Id,
                    forecast.Point[h], forecast.Lower[h], forecast.Upper[h], time);
                points++;
            }
        }
        _roundStates.Clear();
        _roundTicks.Clear();
        _roundRepeats.Clear();
        return (points, forecasts);
    }
}
