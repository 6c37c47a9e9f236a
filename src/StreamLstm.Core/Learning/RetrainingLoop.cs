using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using StreamLstm.Telemetry;
using StreamLstm.Evaluation;
using StreamLstm.Inference;
using StreamLstm.Model;
using TorchSharp;

namespace StreamLstm.Learning;

/// <summary>
/// The worker's continuous learning, on a thread of its own beside the consume and forecast threads: on a schedule
/// (<see cref="LearningSettings.Interval"/>), when the <see cref="DriftMonitor"/> signals, and at cold start as soon as the
/// history holds enough ticks, it trains a challenger on the accumulated history except its most recent part, runs
/// the challenger and the champion walk-forward over that held-out part with the backtest's code (the worker's
/// per-tick path, skill gate and online calibration included), and promotes the challenger only when
/// <see cref="PromotionPolicy"/> says so: it is then added to the store and made current, and the pipeline following
/// the store swaps it in. A rejected challenger is not kept. Every decision is logged and reported as a
/// <see cref="ModelEvent"/>. One retraining at a time; training uses <see cref="LearningSettings.Threads"/> threads.
/// </summary>
public sealed partial class RetrainingLoop
{
    private readonly LearningSettings _settings;
    private readonly TrainingSettings _training;
    private readonly ModelSettings _model;
    private readonly ServingSettings _serving;
    private readonly IModelStore _store;
    private readonly TickHistory _history;
    private readonly DriftMonitor? _drift;
    private readonly Action<ModelEvent> _events;
    private readonly ILogger _logger;
    private readonly PromotionPolicy _policy;
    private readonly System.Reactive.Subjects.Subject<System.Reactive.Unit> _requests = new();
    private readonly Stopwatch _sinceScheduled = Stopwatch.StartNew();
    private Stopwatch? _sinceRetrained;
    private readonly List<RetrainOutcome> _outcomes = [];
    private readonly int _keepVersions;
    private int _requested;
    private long _firstModelTriedAt;

    /// <summary>
    /// Told each retrain's outcome: <c>promoted</c>, <c>rejected</c>, <c>retired</c> (rejected, and naive replaced the
    /// champion) or <c>failed</c> (for metrics; null by default).
    /// </summary>
    public Action<string>? OutcomeObserver { get; init; }

    /// <summary>
    /// Whether this worker trains for its group right now (a shared store: only the owner of partition 0 does); checked
    /// before each retraining, which is skipped, not queued, while it says no. Null: always.
    /// </summary>
    public Func<bool>? IsTrainer { get; init; }

    private bool? _wasTrainer;

    /// <param name="settings">Schedule, promotion rules, CPU bound.</param>
    /// <param name="training">How challengers are trained (<c>Training:*</c>).</param>
    /// <param name="model">The shape of a first model (later challengers take the champion's shape).</param>
    /// <param name="serving">The serving adaptations the held-out evaluation runs with.</param>
    /// <param name="store">Where promoted challengers go (made current only if the champion they beat still is).</param>
    /// <param name="history">The accumulated ticks.</param>
    /// <param name="drift">Drift signals (null: schedule and cold start only).</param>
    /// <param name="events">Receives every decision (the worker writes them to InfluxDB).</param>
    /// <param name="logger">Where decisions are logged.</param>
    /// <param name="keepVersions">Versions the store keeps after a promotion (<c>Model:KeepVersions</c>).</param>
    public RetrainingLoop(LearningSettings settings, TrainingSettings training, ModelSettings model, ServingSettings serving,
        IModelStore store, TickHistory history, DriftMonitor? drift, Action<ModelEvent> events, ILogger logger, int keepVersions = ModelStore.DefaultKeepVersions)
    {
        _keepVersions = keepVersions;
        settings.Validate();
        _settings = settings;
        _training = training with { MaxDuration = training.MaxDuration is { } d && d < settings.MaxTrainingTime ? d : settings.MaxTrainingTime };
        _model = model;
        _serving = serving;
        _store = store;
        _history = history;
        _drift = drift;
        _events = events;
        _logger = logger;
        _policy = PromotionPolicy.From(settings);
    }

    /// <summary>Every retraining so far, oldest first (a copy).</summary>
    public IReadOnlyList<RetrainOutcome> Outcomes
    {
        get { lock (_outcomes) return _outcomes.ToList(); }
    }

    /// <summary>Whether a retraining is running right now.</summary>
    public bool Training
    {
        get => Volatile.Read(ref _busy);
        private set => Volatile.Write(ref _busy, value);
    }

    private bool _busy;

    /// <summary>Asks for a retraining as soon as the running one (if any) ends.</summary>
    public void Request()
    {
        Interlocked.Exchange(ref _requested, 1);
        _requests.OnNext(System.Reactive.Unit.Default);
    }

    /// <summary>
    /// Runs until <paramref name="stopping"/> fires, on a dedicated thread (below normal priority), where every
    /// retraining runs, one at a time; a running training is cancelled, and the task completes once it has stopped.
    /// </summary>
    public Task RunAsync(CancellationToken stopping)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new EventLoopScheduler(start => new Thread(start)
        {
            IsBackground = true,
            Name = "streamlstm-retraining",
            Priority = ThreadPriority.BelowNormal,
        });
        loop.Schedule(() => torch.set_num_threads(_settings.Threads));
        var subscription = Triggers(loop).Subscribe(trigger => OnTrigger(trigger, stopping), error => done.TrySetException(error));
        // Queued behind a running retraining (which the token cancels), so the task ends only once it has.
        stopping.Register(() => loop.Schedule(() =>
        {
            subscription.Dispose();
            done.TrySetResult();
            loop.Dispose();
        }));
        return done.Task;
    }

    /// <summary>
    /// Why to retrain, as they come, on <paramref name="loop"/>: a request; at cold start (naive serving) enough history
    /// (<see cref="FirstModelDue"/>); the schedule; and drift, held back by the cooldown since the last retraining. The
    /// checks run every <see cref="LearningSettings.CheckInterval"/>, in that order, and a retraining runs before the
    /// next check is made, so a drift signal right after a scheduled retraining falls within its cooldown.
    /// </summary>
    private IObservable<string> Triggers(IScheduler loop)
    {
        var checks = Observable.Interval(_settings.CheckInterval, loop).Publish().RefCount();
        var requested = _requests.ObserveOn(loop).Where(_ => Interlocked.Exchange(ref _requested, 0) == 1).Select(_ => "requested");
        var firstModel = checks.Where(_ => NaiveServes && FirstModelDue()).Select(_ => "first model");
        var schedule = checks.Where(_ => !NaiveServes && _sinceScheduled.Elapsed >= _settings.Interval).Select(_ => "schedule");
        var drift = checks.Select(_ => _drift?.TakeSignal())
            .Where(signal => signal is not null && (_sinceRetrained is null || _sinceRetrained.Elapsed >= _settings.DriftCooldown))
            .Select(signal => $"drift: {signal}");
        return Observable.Merge(requested, firstModel, schedule, drift);
    }

    private bool NaiveServes => _store.CurrentVersion is null or NaiveModel.Id;

    /// <summary>Whether this worker is the trainer now; a change of role is logged.</summary>
    private bool TrainsNow()
    {
        bool trainer = IsTrainer?.Invoke() ?? true;
        if (_wasTrainer != trainer && IsTrainer is not null)
        {
            if (trainer) LogTrainer(_logger);
            else LogNotTrainer(_logger);
        }
        _wasTrainer = trainer;
        return trainer;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This worker retrains for the group: it owns partition 0 of the tick topic, and the model store is shared")]
    private static partial void LogTrainer(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another worker of the group retrains (the owner of partition 0); this one follows the shared store")]
    private static partial void LogNotTrainer(ILogger logger);

    private void OnTrigger(string trigger, CancellationToken stopping)
    {
        if (stopping.IsCancellationRequested || !TrainsNow()) return;
        // Whatever started it, the next scheduled retrain is an interval away, and while naive serves (cold start, or
        // a champion retired) the next try waits for the history to grow by half.
        _sinceScheduled.Restart();
        _firstModelTriedAt = Math.Max(1, _history.Ticks);
        try
        {
            if (Retrain(trigger, stopping) is not null) _sinceRetrained = Stopwatch.StartNew();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OutcomeObserver?.Invoke("failed");
            LogFailed(_logger, trigger, ex.Message, ex);
        }
    }

    /// <summary>
    /// While naive serves (cold start, or a champion retired): the history holds <see cref="LearningSettings.MinTicks"/>
    /// ticks and, after an earlier retraining, half as many again as then, or a whole interval has passed since.
    /// </summary>
    private bool FirstModelDue()
    {
        long held = _history.Ticks;
        if (held < _settings.MinTicks) return false;
        return _firstModelTriedAt == 0 || held >= _firstModelTriedAt * 3 / 2 || _sinceScheduled.Elapsed >= _settings.Interval;
    }

    /// <summary>
    /// One retraining now, on the calling thread: train, evaluate both, decide, promote or discard. Returns null (and
    /// logs why) when the history is too short to train on.
    /// </summary>
    public RetrainOutcome? Retrain(string trigger, CancellationToken cancellationToken = default)
    {
        Training = true;
        try
        {
            return RetrainOnce(trigger, cancellationToken);
        }
        finally
        {
            Training = false;
        }
    }

    private RetrainOutcome? RetrainOnce(string trigger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ticks = _history.Snapshot();
        if (ticks.Count < _settings.MinTicks)
        {
            LogTooLittle(_logger, trigger, ticks.Count, _settings.MinTicks);
            return null;
        }
        // The version the challenger is judged against: it is promoted only if this is still current then (another
        // worker of the group, or an operator, may switch the store meanwhile).
        var seen = _store.CurrentVersion;
        var championId = seen == NaiveModel.Id ? null : seen;
        ModelVersion? champion = null;
        try
        {
            if (championId is not null) champion = _store.Load(championId);
        }
        catch (ModelStoreException ex)
        {
            LogChampionUnloadable(_logger, championId!, ex.Message);
        }
        using (champion)
        {
            var settings = champion?.Settings ?? _model;
            double trainFraction = 1 - _settings.HoldoutFraction;
            LogStarted(_logger, trigger, ticks.Count, championId ?? NaiveModel.Id);
            TrainingResult trained;
            try
            {
                // In symbol order, not the order the symbols first arrived in (which partition is fetched first varies
                // from run to run): the same history trains the same model.
                var series = Backtester.TrainingSeries(ticks, trainFraction, settings.Warmup).OrderBy(s => s.Symbol, StringComparer.Ordinal).ToList();
                trained = new ModelTrainer(settings, _training).Train(series, cancellationToken: cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                LogTooLittle(_logger, trigger, ticks.Count, _settings.MinTicks);
                LogReason(_logger, ex.Message);
                return null;
            }
            var metadata = ModelMetadata.From(trained, ticks, $"retraining ({trigger})");
            // The trained network's own settings: with Model:Features auto, a first model's feature set was chosen in training.
            using var challenger = new ModelVersion(trained.Network, new ModelConfiguration(trained.Network.Settings, trained.Calibration), metadata with { Version = ModelEvent.Challenger });
            if (trained.FeatureChoice is { } choice) LogReason(_logger, $"features: {choice}");
            var mine = Backtester.Run(ticks, challenger, 1, trainFraction, _serving, cancellationToken: cancellationToken).Overall;
            double? championRelMae = champion is null ? null : Backtester.Run(ticks, champion, 1, trainFraction, _serving, cancellationToken: cancellationToken).Overall.RelMae;
            var decision = _policy.Decide(mine.RelMae, mine.Coverage80, championRelMae);
            string? version = null;
            bool stale = false;
            if (decision.Promote)
            {
                var holdout = new HoldoutEvaluation(mine.N, mine.RelMae ?? double.NaN, championRelMae ?? 1.0, mine.Coverage80, championId ?? NaiveModel.Id);
                (version, decision, stale) = Promote(trained, metadata with { Holdout = holdout }, seen, decision);
            }
            var retire = !decision.Promote && !stale && champion is not null ? _policy.DecideNaive(championRelMae) : default;
            var outcome = new RetrainOutcome(trigger, championId ?? NaiveModel.Id, version, ticks.Count, mine.N, mine.RelMae, championRelMae,
                mine.Coverage80, decision, trained.Epochs, clock.Elapsed, retire.Promote);
            lock (_outcomes) _outcomes.Add(outcome);
            if (decision.Promote)
                LogPromoted(_logger, version!, outcome.Champion, Show(mine.RelMae), Show(championRelMae), LogValue.Finite(mine.Coverage80), mine.N, trained.Epochs, clock.Elapsed.TotalSeconds, decision.Reason);
            else
                LogRejected(_logger, outcome.Champion, Show(mine.RelMae), Show(championRelMae), LogValue.Finite(mine.Coverage80), mine.N, trained.Epochs, clock.Elapsed.TotalSeconds, decision.Reason);
            var newest = _history.Newest ?? DateTime.UtcNow;
            _events(new ModelEvent(decision.Promote ? "promoted" : "rejected", version ?? ModelEvent.Challenger,
                mine.RelMae ?? double.NaN, championRelMae ?? 1.0, mine.Coverage80, newest, ModelSwitchSource.Retrain));
            if (retire.Promote) RetireToNaive(ticks, trainFraction, champion!, championRelMae!.Value, retire, newest, cancellationToken);
            OutcomeObserver?.Invoke(decision.Promote ? "promoted" : retire.Promote ? "retired" : "rejected");
            return outcome;
        }
    }

    /// <summary>
    /// Adds the challenger and makes it current if <paramref name="seen"/> still is; otherwise (the store was switched
    /// while it trained: its figures are against a champion that no longer serves) it is not promoted, and a version
    /// already added stays in the store, not current. Returns the version and the decision as it turned out, and whether
    /// the store had been switched.
    /// </summary>
    private (string? Version, PromotionDecision Decision, bool Stale) Promote(TrainingResult trained, ModelMetadata metadata, string? seen, PromotionDecision decision)
    {
        string? version = null;
        try
        {
            if (_store.CurrentVersion is var now && now != seen)
                throw new ModelStoreConflictException($"the current version is {now ?? "none"}, not {seen ?? "none"}", now);
            version = _store.Add(trained.Network, trained.Calibration, metadata, makeCurrent: false);
            _store.SetCurrent(version, "promoted", expectedCurrent: seen, ModelSwitchSource.Retrain);
        }
        catch (ModelStoreConflictException ex)
        {
            LogStale(_logger, version ?? ModelEvent.Challenger, seen ?? "none", ex.Current ?? "none", ex.Message);
            return (null, new PromotionDecision(false, $"stale: the current version became {ex.Current ?? "none"} while it was judged against {seen ?? "none"}"), true);
        }
        var pruned = _store.Prune(_keepVersions);
        if (pruned.Count > 0) LogPruned(_logger, string.Join(", ", pruned));
        return (version, decision, false);
    }

    /// <summary>
    /// Makes naive current in place of a champion that lost to it on the held-out history: the worker serves the last
    /// price (its interval from recent volatility) until a challenger beats naive.
    /// </summary>
    private void RetireToNaive(List<Ticks.Tick> ticks, double trainFraction, ModelVersion champion, double championRelMae,
        PromotionDecision decision, DateTime newest, CancellationToken cancellationToken)
    {
        using var naive = NaiveModel.Create(champion.Settings);
        var score = Backtester.Run(ticks, naive, 1, trainFraction, _serving, cancellationToken: cancellationToken).Overall;
        try
        {
            _store.SetCurrent(NaiveModel.Id, "retired: naive beat it on held-out history", expectedCurrent: champion.Id, ModelSwitchSource.Retrain);
        }
        catch (ModelStoreConflictException ex)
        {
            LogStale(_logger, NaiveModel.Id, champion.Id, ex.Current ?? "none", ex.Message);
            return;
        }
        LogRetired(_logger, champion.Id, LogValue.Finite(championRelMae), LogValue.Finite(score.Coverage80), decision.Reason);
        _events(new ModelEvent("promoted", NaiveModel.Id, 1.0, championRelMae, score.Coverage80, newest, ModelSwitchSource.Retrain));
    }

    private static string Show(double? value) => value is { } v ? v.ToString("F4") : "n/a";

    [LoggerMessage(Level = LogLevel.Information, Message = "Retraining ({Trigger}) on {Ticks} ticks of history; champion {Champion}")]
    private static partial void LogStarted(ILogger logger, string trigger, int ticks, string champion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Promoted {Version} over {Champion}: held-out rel_mae {RelMae} vs champion {ChampionRelMae}, coverage80 {Coverage:F3} on {Points} points, {Epochs} epochs, {Seconds:F1} s; {Reason}")]
    private static partial void LogPromoted(ILogger logger, string version, string champion, string relMae, string championRelMae, double? coverage, long points, int epochs, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected a challenger; {Champion} keeps serving: held-out rel_mae {RelMae} vs champion {ChampionRelMae}, coverage80 {Coverage:F3} on {Points} points, {Epochs} epochs, {Seconds:F1} s; {Reason}")]
    private static partial void LogRejected(ILogger logger, string champion, string relMae, string championRelMae, double? coverage, long points, int epochs, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retired {Champion} (held-out rel_mae {ChampionRelMae:F4}): naive now serves, coverage80 {Coverage:F3} on the same history; {Reason}")]
    private static partial void LogRetired(ILogger logger, string champion, double? championRelMae, double? coverage, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Not retraining yet ({Trigger}): the history holds {Ticks} ticks, Learning:MinTicks is {MinTicks}")]
    private static partial void LogTooLittle(ILogger logger, string trigger, int ticks, int minTicks);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Reason}")]
    private static partial void LogReason(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The current version {Version} cannot be loaded for comparison ({Reason}); the challenger is compared with naive")]
    private static partial void LogChampionUnloadable(ILogger logger, string version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not making {Version} current: it was judged against {Champion} but {Current} is current now ({Reason})")]
    private static partial void LogStale(ILogger logger, string version, string champion, string current, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned versions {Versions}")]
    private static partial void LogPruned(ILogger logger, string versions);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retraining ({Trigger}) failed: {Reason}; the current model keeps serving")]
    private static partial void LogFailed(ILogger logger, string trigger, string reason, Exception exception);
}
