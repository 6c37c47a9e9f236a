namespace StreamLstm.Ticks;

/// <summary>The ticks read from a CSV of prices, and the late rows that were skipped.</summary>
/// <param name="Ticks">Rows in file order.</param>
/// <param name="LateRows">Rows earlier than their symbol's previous row: skipped, as the worker skips late ticks.</param>
/// <param name="FirstLateLine">Line number of the first late row, if any.</param>
public sealed record PriceData(List<Tick> Ticks, int LateRows, int? FirstLateLine)
{
    /// <summary>Rows skipped for a bad quote (<see cref="Tick.QuoteProblem"/>): bid above ask, one not positive, one without the other.</summary>
    public int BadQuoteRows { get; init; }

    /// <summary>The first of them: its line and what was wrong; null when none.</summary>
    public (int Line, string Problem)? FirstBadQuote { get; init; }
}
