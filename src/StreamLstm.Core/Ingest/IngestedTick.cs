using StreamLstm.Ticks;

namespace StreamLstm.Ingest;

/// <summary>A valid tick and the message it came from.</summary>
/// <param name="Tick">The parsed tick.</param>
/// <param name="Position">Partition and offset, to be stored once the tick's points are accepted.</param>
/// <param name="ReceivedTimestamp">When the consumer handed the tick over (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
public readonly record struct IngestedTick(Tick Tick, SourcePosition Position, long ReceivedTimestamp = 0);
