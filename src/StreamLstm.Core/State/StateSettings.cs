using System.ComponentModel.DataAnnotations;

namespace StreamLstm.State;

/// <summary>Checkpoints of the per-symbol serving state (configuration section <c>State</c>).</summary>
public sealed record StateSettings
{
    /// <summary>How often a checkpoint is taken at most, unless configured (<c>State:CheckpointInterval</c>).</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Checkpoint every symbol's state to the changelog (<c>Kafka:StateTopic</c>) and restore it when a partition is
    /// assigned, so forecasts after a restart, a crash or a rebalance equal an uninterrupted run's. Default true.
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Longest time between two checkpoints, each taking only the symbols changed since the last. A crash replays at most
    /// about this much of the stream (plus what the sinks had not acknowledged). Default 00:00:05.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = DefaultCheckpointInterval;

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (CheckpointInterval < TimeSpan.FromMilliseconds(10) || CheckpointInterval > TimeSpan.FromHours(1))
            throw new ValidationException($"State:CheckpointInterval ({CheckpointInterval}) must be between 00:00:00.010 and 01:00:00");
    }
}
