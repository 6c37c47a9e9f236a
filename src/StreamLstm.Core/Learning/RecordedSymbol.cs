namespace StreamLstm.Learning;

/// <summary>
/// A symbol as the tick history files of a topic record it: how many ticks, and the first and last event time (UTC)
/// among them. See <see cref="TickHistoryFiles.Summarize"/>.
/// </summary>
public sealed record RecordedSymbol(string Symbol, long Ticks, DateTime First, DateTime Last);
