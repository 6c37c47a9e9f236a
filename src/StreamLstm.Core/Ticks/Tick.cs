namespace StreamLstm.Ticks;

/// <summary>One observed price of one symbol at one event time (UTC).</summary>
/// <param name="Symbol">The instrument, valid per <see cref="SymbolRules"/>.</param>
/// <param name="Timestamp">Event time, UTC.</param>
/// <param name="Price">A positive, finite price.</param>
/// <param name="Volume">Traded volume when the source gives one.</param>
public readonly record struct Tick(string Symbol, DateTime Timestamp, double Price, double? Volume = null);
