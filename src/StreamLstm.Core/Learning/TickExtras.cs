using StreamLstm.Ticks;

namespace StreamLstm.Learning;

/// <summary>
/// What a tick may carry besides its price, as the tick history holds it: the volume, and a quote feed's bid and ask;
/// NaN where absent (the bid and ask are present together or not at all).
/// </summary>
internal readonly record struct TickExtras(double Volume, double Bid, double Ask)
{
    public static TickExtras None => new(double.NaN, double.NaN, double.NaN);

    public static TickExtras Of(double? volume, double? bid, double? ask) =>
        bid is { } b && ask is { } a ? new(volume ?? double.NaN, b, a) : new(volume ?? double.NaN, double.NaN, double.NaN);

    public bool Any => !double.IsNaN(Volume) || !double.IsNaN(Bid);

    /// <summary>What a stored record may hold: a non-negative finite volume, a quote <see cref="Tick.QuoteProblem"/> accepts.</summary>
    public bool IsValid =>
        (double.IsNaN(Volume) || (double.IsFinite(Volume) && Volume >= 0))
        && (double.IsNaN(Bid) ? double.IsNaN(Ask) : Tick.QuoteProblem(Bid, Ask) is null);

    /// <summary>A tick of these extras.</summary>
    public Tick With(string symbol, long time, double price) =>
        new(symbol, new DateTime(time, DateTimeKind.Utc), price,
            double.IsNaN(Volume) ? null : Volume, double.IsNaN(Bid) ? null : Bid, double.IsNaN(Ask) ? null : Ask);
}
