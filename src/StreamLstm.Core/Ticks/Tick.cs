namespace StreamLstm.Ticks;

/// <summary>One observed price of one symbol at one event time (UTC).</summary>
/// <param name="Symbol">The instrument, valid per <see cref="SymbolRules"/>.</param>
/// <param name="Timestamp">Event time, UTC.</param>
/// <param name="Price">A positive, finite price.</param>
/// <param name="Volume">Traded volume when the source gives one.</param>
/// <param name="Bid">The best bid, for a quote feed (with <paramref name="Ask"/>; positive, at most the ask).</param>
/// <param name="Ask">The best ask, for a quote feed (with <paramref name="Bid"/>).</param>
public readonly record struct Tick(string Symbol, DateTime Timestamp, double Price, double? Volume = null, double? Bid = null, double? Ask = null)
{
    /// <summary>
    /// Null when the quote is usable: both of <paramref name="bid"/> and <paramref name="ask"/> absent, or both positive
    /// and finite with the bid at most the ask; otherwise why not, naming the fields as the tick message does.
    /// </summary>
    public static string? QuoteProblem(double? bid, double? ask)
    {
        if (bid is null && ask is null) return null;
        if (bid is null) return "'ask' is given without 'bid'";
        if (ask is null) return "'bid' is given without 'ask'";
        if (!double.IsFinite(bid.Value) || bid.Value <= 0) return $"'bid' {bid.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a positive finite number";
        if (!double.IsFinite(ask.Value) || ask.Value <= 0) return $"'ask' {ask.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a positive finite number";
        if (bid.Value > ask.Value)
            return $"'bid' {bid.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is above 'ask' {ask.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return null;
    }
}
