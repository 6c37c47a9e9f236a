using StreamLstm.Inference;

namespace StreamLstm.Evaluation;

/// <summary>What a walk-forward backtest measured.</summary>
public sealed class BacktestResult
{
    /// <summary>Ticks ahead that were scored.</summary>
    public required int Horizon { get; init; }

    /// <summary>The model version that was served.</summary>
    public required string Model { get; init; }

    /// <summary>All scored points pooled.</summary>
    public ForecastScore Overall { get; } = new();

    /// <summary>The rolling-volatility band on the same points (its point forecast is the last price).</summary>
    public ForecastScore Baseline { get; } = new();

    /// <summary>Per symbol, in order of first appearance.</summary>
    public List<SymbolBacktest> Symbols { get; } = [];

    /// <summary>Symbols too short to score.</summary>
    public List<string> Skipped { get; } = [];
}

/// <summary>One symbol's score and its scored points (for charts).</summary>
public sealed class SymbolBacktest(string symbol)
{
    public string Symbol { get; } = symbol;
    public ForecastScore Score { get; } = new();
    public List<ScoredPoint> Points { get; } = [];
}

/// <summary>A forecast and the actual it was for, at the actual's time.</summary>
public readonly record struct ScoredPoint(DateTime Time, double Actual, double Point, double Lower, double Upper);
