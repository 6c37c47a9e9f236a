using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StreamLstm.Model;
using StreamLstm.Telemetry;

namespace StreamLstm.Pipeline;

/// <summary>
/// The model swap state machine of the forecast loop: a model offered by the store follower (any thread) waits; the
/// loop starts re-warming it for every symbol on the thread pool while it keeps forecasting with the current one, and
/// hands it over between two micro-batches once that replay is done, one swap at a time. The models that served are
/// kept until they are replaced, and disposed then (or at the end).
/// </summary>
internal sealed partial class ModelSwaps(PipelineCounters counters, ILogger logger, Action wake) : IDisposable
{
    private readonly object _gate = new();
    private readonly List<ModelVersion> _owned = [];
    private ModelVersion? _pending;
    private string? _preparing;
    private string? _unservable;
    private bool _stopped;
    private (SwapPreparation Preparation, Task Replay, Stopwatch Clock)? _swapping;

    /// <summary>
    /// Whether a model with this id needs no loading: it serves (<paramref name="serving"/>), waits, is being prepared,
    /// or could not be re-warmed before.
    /// </summary>
    public bool Settled(string id, string serving) =>
        id == serving || id == Volatile.Read(ref _pending)?.Id || id == Volatile.Read(ref _preparing) || id == Volatile.Read(ref _unservable);

    /// <summary>Any thread: <paramref name="model"/> should serve next (one offered earlier and not started is dropped).</summary>
    public void Offer(ModelVersion model)
    {
        lock (_gate)
        {
            // Offered while the pipeline shut down: nobody will swap it in.
            if (_stopped)
            {
                model.Dispose();
                return;
            }
            Interlocked.Exchange(ref _pending, model)?.Dispose();
        }
        wake();
    }

    /// <summary>On the forecast loop, between micro-batches: starts the waiting model's replay, or hands over one whose replay is done.</summary>
    public void Step(TickProcessor processor)
    {
        if (_swapping is null && Volatile.Read(ref _pending) is { } waiting)
        {
            // Marked as being prepared before it leaves _pending, so the store follower never loads it twice.
            Volatile.Write(ref _preparing, waiting.Id);
            var next = Interlocked.Exchange(ref _pending, null)!;
            Volatile.Write(ref _preparing, next.Id);
            var preparation = processor.PrepareSwap(next);
            var replay = Task.Run(preparation.Replay);
            _swapping = (preparation, replay, Stopwatch.StartNew());
            _ = replay.ContinueWith(_ => wake(), TaskScheduler.Default);
        }
        if (_swapping is { Replay.IsCompleted: true } ready)
        {
            _swapping = null;
            HandOver(processor, ready.Preparation, ready.Replay, ready.Clock.Elapsed);
            Volatile.Write(ref _preparing, null);
        }
    }

    /// <summary>At shutdown: takes no more offers, drops the waiting model and waits for a replay in flight (its model is dropped too).</summary>
    public async Task StopAsync()
    {
        lock (_gate) _stopped = true;
        Interlocked.Exchange(ref _pending, null)?.Dispose();
        if (_swapping is { } unfinished)
        {
            _swapping = null;
            await unfinished.Replay.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            unfinished.Preparation.Model.Dispose();
        }
    }

    /// <summary>Disposes the models that served (after the processor is done with them).</summary>
    public void Dispose()
    {
        foreach (var model in _owned) model.Dispose();
        _owned.Clear();
    }

    private void HandOver(TickProcessor processor, SwapPreparation preparation, Task replay, TimeSpan prepared)
    {
        var next = preparation.Model;
        if (replay.Exception is { } failed)
        {
            LogSwapFailed(logger, next.Id, failed.GetBaseException().Message);
            Volatile.Write(ref _unservable, next.Id);
            next.Dispose();
            return;
        }
        var clock = Stopwatch.StartNew();
        var previous = processor.CompleteSwap(preparation);
        _owned.Add(next);
        if (_owned.Remove(previous)) previous.Dispose();
        counters.ServingModel = next.Id;
        counters.ModelProblem = null;
        LogSwapped(logger, next.Id, previous.Id, processor.Symbols, prepared.TotalMilliseconds, clock.Elapsed.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} now serves (was {Previous}); {Symbols} symbols re-warmed over {Prepared:F0} ms beside the stream, handed over in {Milliseconds:F1} ms")]
    private static partial void LogSwapped(ILogger logger, string model, string previous, int symbols, double prepared, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} could not be re-warmed ({Reason}); keeping the current model")]
    private static partial void LogSwapFailed(ILogger logger, string model, string reason);
}
