using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.Pipeline;

/// <summary>
/// The worker's per-tick path for a micro-batch of ticks: late ticks are skipped and counted; every other tick gets
/// its <c>price</c> point, advances its symbol's features and LSTM state by one step (all symbols of the batch in one
/// batched step; a symbol with several ticks in the batch takes one per round, in order), and, once the symbol is
/// warm, its <c>forecast</c> points for every horizon, and a <c>forecast_error</c> point for every earlier forecast
/// whose target this tick is (in the lean output profiles, <see cref="Output"/>, those are summed into <c>skill</c>
/// points and the forecast points thinned; the state advances the same). With a <see cref="TickHistory"/>, every accepted tick is appended to it, and a symbol seen
/// for the first time since the worker (re)started is first re-warmed from its history: its features, recurrent state,
/// interval calibration and skill gate are replayed over its last ticks, with no points written, so its next tick is
/// forecast as if the worker had never stopped. A symbol whose ticks keep arriving late (after a tick that jumped
/// ahead) is reported: a warning names it once <see cref="TickSettings.LateWarning"/> were skipped in a row. Not
/// thread-safe: one thread drives it.
/// </summary>
public sealed partial class TickProcessor
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
    private SymbolState[] _batchStates = new SymbolState[64];
    private long _round;
    // Per horizon, this micro-batch's sums over the resolved forecasts, added to the counters once per batch.
    private PipelineCounters.HorizonScore[] _scores = [];
    private long _servedByModel, _servedByNaive;
    private readonly TickHistory? _history;
    private readonly DriftMonitor? _drift;
    private readonly int _rewarmTicks;
    private readonly int _lateWarning;
    private readonly ILogger _logger;
    // Indexed by partition: the newest offset processed and the ownership (epoch) it was consumed in (what a checkpoint
    // covers), and the offset the last checkpoint covered. An array, not a dictionary: it is written on every tick.
    private PartitionProgress[] _progress = [];
    // Partitions whose symbols were restored from checkpoints and whose history is not open yet.
    private readonly HashSet<int> _historyToOpen = [];

    /// <param name="model">The model serving first.</param>
    /// <param name="serving">Online calibration and skill gate settings.</param>
    /// <param name="counters">Running totals.</param>
    /// <param name="history">Where accepted ticks are kept, and symbols re-warmed from (null: none).</param>
    /// <param name="drift">Fed with every resolved one-tick-ahead forecast (null: none).</param>
    /// <param name="rewarmTicks">Most ticks of its history a new symbol is re-warmed over.</param>
    /// <param name="ticks">When a run of late ticks is reported (null: the defaults).</param>
    /// <param name="logger">Where that report goes (null: nowhere).</param>
    public TickProcessor(ModelVersion model, ServingSettings serving, PipelineCounters counters,
        TickHistory? history = null, DriftMonitor? drift = null, int rewarmTicks = HistorySettings.DefaultRewarmTicks, TickSettings? ticks = null, ILogger? logger = null)
    {
        _lateWarning = (ticks ?? new TickSettings()).LateWarning;
        _logger = logger ?? NullLogger.Instance;
        _model = model;
        _serving = serving;
        _forecaster = new BatchForecaster(model);
        _counters = counters;
        _history = history;
        _drift = drift;
        _rewarmTicks = rewarmTicks;
        _writtenHorizons = _output.WrittenHorizons(model.Settings.Horizons);
    }

    /// <summary>Whether each batch also carries its served forecasts as records (<see cref="PointBatch.Forecasts"/>), for a forecast topic.</summary>
    public bool RecordForecasts { get; init; }

    private OutputSettings _output = new();
    // Per horizon, whether its forecasts are written (all of them but in the lean profile).
    private bool[] _writtenHorizons;

    /// <summary>
    /// What is written per tick (<see cref="OutputSettings"/>): by default the <c>full</c> profile. Throws when the
    /// settings are invalid or name a horizon the model does not forecast.
    /// </summary>
    public OutputSettings Output
    {
        get => _output;
        init
        {
            value.Validate();
            _writtenHorizons = value.WrittenHorizons(_model.Settings.Horizons);
            _output = value;
        }
    }

    /// <summary>Newest event time among the ticks processed (null before the first).</summary>
    public DateTime? LastTickTime { get; private set; }

    /// <summary>Running score of the served one-tick-ahead forecasts against the ticks they were for, with naive's.</summary>
    public ForecastScore LiveScore { get; } = new();

    /// <summary>Symbols with state.</summary>
    public int Symbols => _symbols.Count;

    /// <summary>Late ticks of <paramref name="symbol"/> skipped since its state was made (0 for a symbol without state).</summary>
    public long LateTicks(string symbol) => _symbols.TryGetValue(symbol, out var state) ? state.LateTicks : 0;

    /// <summary>The model serving right now.</summary>
    public ModelVersion Model => _model;

    /// <summary>Processes <paramref name="ticks"/> in order, appending points and positions to <paramref name="batch"/>.</summary>
    public void Process(ReadOnlySpan<IngestedTick> ticks, PointBatch batch)
    {
        int points = 0, forecasts = 0, late = 0, covered = 0;
        ResolveStates(ticks);
        _round++;
        for (int t = 0; t < ticks.Length; t++)
        {
            var ingested = ticks[t];
            var tick = ingested.Tick;
            var state = _batchStates[t];
            batch.Positions.Add(ingested.Position);
            state.Partition = ingested.Position.Partition;
            ref var progress = ref Progress(state.Partition);
            progress = progress with { Processed = ingested.Position.Offset, Epoch = ingested.Position.Epoch };
            if (ingested.Position.Offset <= state.Through)
            {
                // Already applied to the checkpoint this state was restored from, and its points acknowledged before
                // the restart: read again only because the partition resumes before it. Kept in the history, which was
                // rewound to the partition's first offset read.
                if (_history is not null) KeepInHistory(_history, ingested);
                covered++;
                continue;
            }
            state.Changed = true;
            if (tick.Timestamp < state.LastTime)
            {
                late++;
                state.LateTicks++;
                if (++state.LateInARow == _lateWarning) LogLateRun(_logger, tick.Symbol, state.LateInARow, state.LastTime.Value, tick.Timestamp, state.LateTicks);
                continue;
            }
            if (state.LateInARow > 0)
            {
                if (state.LateInARow >= _lateWarning) LogLateRunEnded(_logger, tick.Symbol, state.LateInARow);
                state.LateInARow = 0;
            }
            if (state.Round == _round)
            {
                (points, forecasts) = Add((points, forecasts), Flush(batch));
                _round++;
            }
            state.Repeat = tick.Timestamp == state.LastTime ? state.Repeat + 1 : 0;
            state.Round = _round;
            state.LastTime = tick.Timestamp;
            if (LastTickTime is not { } newest || tick.Timestamp > newest) LastTickTime = tick.Timestamp;
            if (_history is not null) KeepInHistory(_history, ingested);
            LineProtocol.Price(batch.Lines, tick.Symbol, tick.Price, LineProtocol.Nanoseconds(tick.Timestamp, state.Repeat));
            points++;
            _roundStates.Add(state);
            _roundTicks.Add(tick);
            _roundRepeats.Add(state.Repeat);
        }
        (points, forecasts) = Add((points, forecasts), Flush(batch));
        Array.Clear(_batchStates, 0, ticks.Length);
        for (int h = 0; h < _scores.Length; h++)
        {
            _counters.AddScores(h + 1, _scores[h]);
            _scores[h] = default;
        }
        _counters.AddForecastPoints(_model.Id, _servedByModel);
        _counters.AddForecastPoints(ForecastTracker.NaiveTag, _servedByNaive);
        _servedByModel = _servedByNaive = 0;
        if (_history is not null) FlushHistory(_history);
        batch.Points += points;
        _counters.AddTicks(ticks.Length);
        _counters.AddLate(late);
        if (covered > 0) _counters.AddCheckpointCovered(covered);
        _counters.AddForecasts(forecasts);
        _counters.AddPoints(points);
    }

    /// <summary>
    /// Finds the state of each tick's symbol (one lookup per tick, kept in <see cref="_batchStates"/> for the batch),
    /// creating the states of symbols not seen since start; with a history, those are re-warmed from it: all of them
    /// stepped together over their last ticks through the ordinary per-tick path, nothing written. A partition's
    /// history is opened at its first tick and rewound to that tick's offset first: ticks from there on were not
    /// acknowledged before the restart and are about to be processed again.
    /// </summary>
    private void ResolveStates(ReadOnlySpan<IngestedTick> ticks)
    {
        if (_batchStates.Length < ticks.Length) _batchStates = new SymbolState[Math.Max(ticks.Length, _batchStates.Length * 2)];
        List<(SymbolState State, IReadOnlyList<Tick> Past)>? warming = null;
        for (int t = 0; t < ticks.Length; t++)
        {
            var symbol = ticks[t].Tick.Symbol;
            if (_historyToOpen.Count > 0 && _history is not null && _historyToOpen.Remove(ticks[t].Position.Partition))
                OpenHistory(_history, ticks[t].Position);
            if (!_symbols.TryGetValue(symbol, out var state))
            {
                _symbols[symbol] = state = _history is null
                    ? new SymbolState(symbol, _model.Settings, _serving, LiveScore)
                    : NewStateFromHistory(ticks[t], _history, ref warming);
            }
            _batchStates[t] = state;
        }
        if (warming is null) return;
        Replay(warming, _forecaster);
        foreach (var (state, past) in warming)
        {
            var last = past[^1].Timestamp;
            int repeats = 0;
            for (int i = past.Count - 2; i >= 0 && past[i].Timestamp == last; i--) repeats++;
            state.LastTime = last;
            state.Repeat = repeats;
            state.Tracker.Score = LiveScore;
        }
        _counters.AddRewarmed(warming.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Symbol {Symbol}: {InARow} ticks in a row were earlier than its last tick at {LastTime:O} (the latest at {TickTime:O}) and were skipped as late ({Total} late in all); if that tick was stamped wrong, see 'A symbol stuck behind a bad tick' in the README")]
    private static partial void LogLateRun(ILogger logger, string symbol, int inARow, DateTime lastTime, DateTime tickTime, long total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Symbol {Symbol} is forecast again after {InARow} late ticks in a row")]
    private static partial void LogLateRunEnded(ILogger logger, string symbol, int inARow);

    private static (int, int) Add((int, int) a, (int, int) b) => (a.Item1 + b.Item1, a.Item2 + b.Item2);

    private (int Points, int Forecasts) Flush(PointBatch batch)
    {
        int n = _roundStates.Count;
        if (n == 0) return (0, 0);
        if (_forecasts.Length < n) _forecasts = new Forecast?[Math.Max(n, _forecasts.Length * 2)];
        _forecaster.Advance(_roundStates, _roundTicks, _forecasts);
        int points = 0, forecasts = 0;
        int horizons = _model.Settings.Horizons;
        if (_scores.Length != horizons) _scores = new PipelineCounters.HorizonScore[horizons];
        if (_writtenHorizons.Length != horizons) _writtenHorizons = _output.WrittenHorizons(horizons, strict: false);
        bool errors = _output.WritesErrors, thins = _output.Thins;
        long skillInterval = _output.SkillIntervalNs, minInterval = _output.MinIntervalNs;
        for (int i = 0; i < n; i++)
        {
            long time = LineProtocol.Nanoseconds(_roundTicks[i].Timestamp, _roundRepeats[i]);
            double actual = _roundTicks[i].Price;
            var symbol = _roundTicks[i].Symbol;
            var state = _roundStates[i];
            var tracker = state.Tracker;
            // In the lean profiles, the forecast errors go to the symbol's skill sums: first close the interval this tick is past.
            var output = errors ? null : state.Output ??= new SymbolOutput();
            if (output is not null) points += output.Advance(batch.Lines, symbol, time, skillInterval);
            for (int h = 0; h < horizons; h++)
            {
                if (tracker.Resolved(h) is not { } resolved) continue;
                if (h == 0) _drift?.Add(resolved, actual);
                var score = _scores[h];
                _scores[h] = new PipelineCounters.HorizonScore(score.Resolved + 1, score.Covered + (resolved.Covered ? 1 : 0),
                    score.RelativeError + resolved.AbsError / actual, score.NaiveRelativeError + resolved.NaiveAbsError / actual);
                if (output is not null)
                {
                    output.Add(h + 1, resolved.ServedBy, resolved.AbsError, resolved.NaiveAbsError, resolved.Covered);
                    continue;
                }
                LineProtocol.ForecastError(batch.Lines, symbol, h + 1, resolved.ServedBy,
                    resolved.AbsError, resolved.NaiveAbsError, resolved.Covered, resolved.Point, resolved.Lower, resolved.Upper, time);
                points++;
            }
            if (_forecasts[i] is not { } forecast) continue;
            forecasts++;
            // The state advanced and the forecast is served (and published) either way; only its points are thinned.
            bool write = !thins || output!.TakeForecast(time, minInterval);
            for (int h = 0; h < forecast.Horizons; h++)
            {
                var servedBy = forecast.Naive[h] ? ForecastTracker.NaiveTag : _model.Id;
                if (write && _writtenHorizons[h])
                {
                    LineProtocol.Forecast(batch.Lines, symbol, h + 1, servedBy, forecast.Point[h], forecast.Lower[h], forecast.Upper[h], time);
                    points++;
                }
                if (RecordForecasts)
                    (batch.Forecasts ??= []).Add(new ForecastRecord(symbol, _roundTicks[i].Timestamp, time, h + 1,
                        forecast.Point[h], forecast.Lower[h], forecast.Upper[h], servedBy));
                if (forecast.Naive[h]) _servedByNaive++;
                else _servedByModel++;
            }
        }
        _roundStates.Clear();
        _roundTicks.Clear();
        _roundRepeats.Clear();
        return (points, forecasts);
    }
}
