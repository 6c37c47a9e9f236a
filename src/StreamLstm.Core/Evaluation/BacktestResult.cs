using StreamLstm.Inference;

namespace StreamLstm.Evaluation;

/// <summary>What a walk-forward backtest measured.</summary>
public sealed class BacktestResult
{
    /// <summary>Ticks ahead that were scored.</summary>
    public required int Horizon { get; init; }

    /// <summary>The model version that was served.</summary>
    public required string Model { get; init; }

    /// <summary>The feature set the model read (<c>price</c> or <c>quote</c>; see <c>Model:Features</c>).</summary>
    public string Features { get; init; } = StreamLstm.Features.FeatureSets.Price;

    /// <summary>All scored points pooled.</summary>
    public ForecastScore Overall { get; } = new();

    /// <summary>The rolling-volatility band on the same points (its point forecast is the last price).</summary>
    public ForecastScore Baseline { get; } = new();

    /// <summary>
    /// The cold-start naive model on the same points: the last price with the EWMA band and the same online calibration,
    /// run through the same per-tick path.
    /// </summary>
    public ForecastScore Naive { get; } = new();

    /// <summary>The GARCH(1,1) band with the same online calibration on the same points (its point forecast is the last price).</summary>
    public ForecastScore Garch { get; } = new();

    /// <summary>The model's interval score over the naive baseline's; null when not finite.</summary>
    public double? IntervalScoreVsNaive => Ratio(Overall.IntervalScore, Naive.IntervalScore);

    /// <summary>The model's interval score over the GARCH baseline's; null when not finite.</summary>
    public double? IntervalScoreVsGarch => Ratio(Overall.IntervalScore, Garch.IntervalScore);

    /// <summary>Per symbol, in order of first appearance.</summary>
    public List<SymbolBacktest> Symbols { get; } = [];

    /// <summary>Symbols too short to score.</summary>
    public List<string> Skipped { get; } = [];

    private static double? Ratio(double value, double baseline)
    {
        double ratio = value / baseline;
        return double.IsFinite(ratio) ? ratio : null;
    }
}

/// <summary>One symbol's score, its scored points (for charts and <c>forecasts.csv</c>) and its GARCH fit.</summary>
public sealed class SymbolBacktest(string symbol, Garch11 garch)
{
    public string Symbol { get; } = symbol;
    public ForecastScore Score { get; } = new();
    public List<ScoredPoint> Points { get; } = [];

    /// <summary>The GARCH(1,1) fitted on the symbol's training part.</summary>
    public Garch11 Garch { get; } = garch;
}

/// <summary>A forecast and the actual it was for, with the baselines' bands made at the same tick.</summary>
/// <param name="MadeAt">Time of the tick the forecast was made at.</param>
/// <param name="Time">Time of the tick it was for (the actual's).</param>
/// <param name="Last">The price at <paramref name="MadeAt"/>.</param>
/// <param name="Actual">The price at <paramref name="Time"/>.</param>
/// <param name="Point">The point forecast served.</param>
/// <param name="Lower">Lower bound of the model's 80% interval.</param>
/// <param name="Upper">Upper bound of the model's 80% interval.</param>
/// <param name="ServedBy">The version that served the point, or <c>naive</c> where the skill gate served the last price.</param>
/// <param name="NaiveLower">Lower bound of the naive baseline's 80% interval.</param>
/// <param name="NaiveUpper">Upper bound of the naive baseline's 80% interval.</param>
/// <param name="GarchLower">Lower bound of the GARCH baseline's 80% interval.</param>
/// <param name="GarchUpper">Upper bound of the GARCH baseline's 80% interval.</param>
public readonly record struct ScoredPoint(DateTime MadeAt, DateTime Time, double Last, double Actual, double Point, double Lower, double Upper,
    string ServedBy, double NaiveLower, double NaiveUpper, double GarchLower, double GarchUpper);
