using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace StreamLstm.Telemetry;

/// <summary>The labelled totals, gauges and histograms (see the other part of this class for the plain totals).</summary>
public sealed partial class PipelineCounters
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _forecastsByModel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _rebalances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _retrains = new(StringComparer.Ordinal);
    private readonly Dictionary<int, HorizonScore> _horizons = [];
    private readonly Dictionary<int, long> _lag = [];
    private long[] _lastTick = new long[16];
    private string _servingModel = "";
    private int _paused, _circuitOpen, _symbols, _ready, _topicMissing, _assigned;
    private string? _modelProblem, _sinkFault;
    private Func<double>? _queueFill;
    private int _loopState;
    private long _loopStateSince = Stopwatch.GetTimestamp();
    private Histogram<double>? _tickLatency, _writeDuration;

    /// <summary>Sums over the resolved forecasts of one horizon.</summary>
    /// <param name="Resolved">Forecasts whose actual arrived.</param>
    /// <param name="Covered">Of those, actuals inside the served 80% interval.</param>
    /// <param name="RelativeError">Sum of |served forecast - actual| / actual.</param>
    /// <param name="NaiveRelativeError">Sum of |last price - actual| / actual.</param>
    public readonly record struct HorizonScore(long Resolved, long Covered, double RelativeError, double NaiveRelativeError);

    /// <summary>Forecast points written per <c>model</c> tag (a version, or <c>naive</c>).</summary>
    public IReadOnlyDictionary<string, long> ForecastsByModel => Copy(_forecastsByModel);

    /// <summary>Partition assignments, revocations and losses (<c>assigned</c>, <c>revoked</c>, <c>lost</c>).</summary>
    public IReadOnlyDictionary<string, long> Rebalances => Copy(_rebalances);

    /// <summary>Retrains per outcome (<c>promoted</c>, <c>rejected</c>, <c>retired</c>, <c>failed</c>).</summary>
    public IReadOnlyDictionary<string, long> Retrains => Copy(_retrains);

    /// <summary>Scores of the served forecasts per horizon (1, 2, ...).</summary>
    public IReadOnlyDictionary<int, HorizonScore> Horizons
    {
        get
        {
            lock (_gate) return new Dictionary<int, HorizonScore>(_horizons);
        }
    }

    /// <summary>Consumer lag per assigned partition, in messages, from librdkafka's statistics.</summary>
    public IReadOnlyDictionary<int, long> Lag
    {
        get
        {
            lock (_gate) return new Dictionary<int, long>(_lag);
        }
    }

    /// <summary>Seconds since the consumer last handed over a message of each partition that has delivered one.</summary>
    public IReadOnlyDictionary<int, double> LastTickAge
    {
        get
        {
            long now = Stopwatch.GetTimestamp();
            var ages = new Dictionary<int, double>();
            var last = Volatile.Read(ref _lastTick);
            for (int p = 0; p < last.Length; p++)
            {
                long at = Volatile.Read(ref last[p]);
                if (at != 0) ages[p] = Stopwatch.GetElapsedTime(at, now).TotalSeconds;
            }
            return ages;
        }
    }

    /// <summary>The version serving (or <c>naive</c>); empty before the pipeline started.</summary>
    public string ServingModel
    {
        get => Volatile.Read(ref _servingModel);
        set => Volatile.Write(ref _servingModel, value);
    }

    /// <summary>Whether consumption is paused because the forecaster's queue is full.</summary>
    public bool Paused
    {
        get => Volatile.Read(ref _paused) == 1;
        set => Volatile.Write(ref _paused, value ? 1 : 0);
    }

    /// <summary>What the forecast loop is doing, and for how long it has been doing it.</summary>
    public (ForecastLoopState State, TimeSpan For) ForecastLoop =>
        ((ForecastLoopState)Volatile.Read(ref _loopState), Stopwatch.GetElapsedTime(Volatile.Read(ref _loopStateSince)));

    /// <summary>Notes what the forecast loop does from now on (the loop itself, a few times per micro-batch).</summary>
    public void EnterLoopState(ForecastLoopState state)
    {
        Volatile.Write(ref _loopStateSince, Stopwatch.GetTimestamp());
        Volatile.Write(ref _loopState, (int)state);
    }

    /// <summary>Partitions assigned to this worker right now.</summary>
    public int AssignedPartitions
    {
        get => Volatile.Read(ref _assigned);
        set => Volatile.Write(ref _assigned, value);
    }

    /// <summary>Why the store's current version is not served (it cannot be loaded), or null while it is (or naive is, by design).</summary>
    public string? ModelProblem
    {
        get => Volatile.Read(ref _modelProblem);
        set => Volatile.Write(ref _modelProblem, value);
    }

    /// <summary>Why InfluxDB refuses the writes for a fault of the configuration (token, org, bucket), or null.</summary>
    public string? SinkFault
    {
        get => Volatile.Read(ref _sinkFault);
        set => Volatile.Write(ref _sinkFault, value);
    }

    /// <summary>Whether the broker said the tick topic does not exist (yet), since the last assignment.</summary>
    public bool TopicMissing
    {
        get => Volatile.Read(ref _topicMissing) == 1;
        set => Volatile.Write(ref _topicMissing, value ? 1 : 0);
    }

    /// <summary>Whether the InfluxDB writer's circuit breaker is open.</summary>
    public bool CircuitOpen
    {
        get => Volatile.Read(ref _circuitOpen) == 1;
        set => Volatile.Write(ref _circuitOpen, value ? 1 : 0);
    }

    /// <summary>Whether the worker's readiness checks passed when last evaluated.</summary>
    public bool Ready
    {
        get => Volatile.Read(ref _ready) == 1;
        set => Volatile.Write(ref _ready, value ? 1 : 0);
    }

    /// <summary>Symbols with state right now.</summary>
    public int Symbols
    {
        get => Volatile.Read(ref _symbols);
        set => Volatile.Write(ref _symbols, value);
    }

    /// <summary>How full the tick queue between consumer and forecaster is, 0 to 1 (0 before the pipeline started).</summary>
    public double QueueFill => Volatile.Read(ref _queueFill)?.Invoke() ?? 0;

    /// <summary>Tells the counters how to read the tick queue's fill (the pipeline, when it starts).</summary>
    public void ObserveQueue(Func<double> fill) => Volatile.Write(ref _queueFill, fill);

    /// <summary>Where tick latencies and write durations are recorded (set by <see cref="WorkerMetrics"/>; none by default).</summary>
    internal void RecordInto(Histogram<double> tickLatency, Histogram<double> writeDuration)
    {
        Volatile.Write(ref _tickLatency, tickLatency);
        Volatile.Write(ref _writeDuration, writeDuration);
    }

    /// <summary>Whether tick latencies are recorded at all (metrics on), so the pipeline can skip measuring them.</summary>
    public bool RecordsLatency => Volatile.Read(ref _tickLatency) is not null;

    /// <summary>One tick's latency from hand-over by the consumer to its points serialized into the sink's batch.</summary>
    public void RecordTickLatency(double seconds) => Volatile.Read(ref _tickLatency)?.Record(seconds);

    /// <summary>One InfluxDB write request's duration, retries excluded.</summary>
    public void RecordWriteDuration(double seconds) => Volatile.Read(ref _writeDuration)?.Record(seconds);

    public void AddForecastPoints(string model, long n)
    {
        if (n == 0) return;
        lock (_gate) _forecastsByModel[model] = _forecastsByModel.GetValueOrDefault(model) + n;
    }

    public void AddRebalance(string kind)
    {
        lock (_gate) _rebalances[kind] = _rebalances.GetValueOrDefault(kind) + 1;
    }

    public void AddRetrain(string outcome)
    {
        lock (_gate) _retrains[outcome] = _retrains.GetValueOrDefault(outcome) + 1;
    }

    /// <summary>Adds a micro-batch's sums for one horizon.</summary>
    public void AddScores(int horizon, HorizonScore batch)
    {
        if (batch.Resolved == 0) return;
        lock (_gate)
        {
            var total = _horizons.GetValueOrDefault(horizon);
            _horizons[horizon] = new HorizonScore(total.Resolved + batch.Resolved, total.Covered + batch.Covered,
                total.RelativeError + batch.RelativeError, total.NaiveRelativeError + batch.NaiveRelativeError);
        }
    }

    public void SetLag(int partition, long lag)
    {
        lock (_gate) _lag[partition] = lag;
    }

    /// <summary>
    /// Notes that a message of <paramref name="partition"/> was handed over at <paramref name="timestamp"/>
    /// (<see cref="Stopwatch.GetTimestamp"/>; the consume thread, per message).
    /// </summary>
    public void MarkTick(int partition, long timestamp)
    {
        var last = _lastTick;
        if ((uint)partition >= (uint)last.Length)
        {
            lock (_gate)
            {
                last = _lastTick;
                if (partition >= last.Length)
                {
                    var grown = new long[Math.Max(partition + 1, last.Length * 2)];
                    last.CopyTo(grown, 0);
                    Volatile.Write(ref _lastTick, last = grown);
                }
            }
        }
        Volatile.Write(ref last[partition], timestamp);
    }

    /// <summary>Drops the lag and last-tick time of partitions no longer assigned.</summary>
    public void ForgetPartitions(IEnumerable<int> partitions)
    {
        lock (_gate)
        {
            foreach (var p in partitions)
            {
                _lag.Remove(p);
                if (p >= 0 && p < _lastTick.Length) Volatile.Write(ref _lastTick[p], 0);
            }
        }
    }

    private Dictionary<string, long> Copy(Dictionary<string, long> source)
    {
        lock (_gate) return new Dictionary<string, long>(source, StringComparer.Ordinal);
    }
}
