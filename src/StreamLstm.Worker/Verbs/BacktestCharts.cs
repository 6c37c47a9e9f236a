using ScottPlot;
using StreamLstm.Evaluation;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// PNG charts of a backtest: per symbol, actual vs forecast with the model's 80% interval band and, dashed, the GARCH(1,1)
/// baseline's band (last points scored).
/// </summary>
public static class BacktestCharts
{
    /// <summary>Most recent points per chart, so a long series stays readable.</summary>
    public const int MaxPoints = 300;

    /// <summary>Writes one PNG per symbol into <paramref name="directory"/>; returns the files written.</summary>
    public static List<string> Write(BacktestResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        foreach (var symbol in result.Symbols)
        {
            var points = symbol.Points.Skip(Math.Max(0, symbol.Points.Count - MaxPoints)).ToList();
            if (points.Count < 2) continue;
            var xs = points.Select(p => p.Time.ToOADate()).ToArray();
            var plot = new Plot();
            var band = plot.Add.FillY(xs, points.Select(p => p.Lower).ToArray(), points.Select(p => p.Upper).ToArray());
            band.FillStyle.Color = Colors.SteelBlue.WithAlpha(0.25);
            band.LineStyle.Width = 0;
            band.LegendText = "80% interval (model)";
            var garch = symbol.Garch;
            string garchText = garch.Fitted ? $"GARCH(1,1) 80% band (alpha {garch.Alpha:F3}, beta {garch.Beta:F3}), online calibration" : "constant-variance 80% band (no GARCH fit), online calibration";
            foreach (var (ys, legend) in new[] { (points.Select(p => p.GarchLower).ToArray(), garchText), (points.Select(p => p.GarchUpper).ToArray(), "") })
            {
                var line = plot.Add.ScatterLine(xs, ys);
                line.Color = Colors.SeaGreen.WithAlpha(0.8);
                line.LinePattern = LinePattern.Dashed;
                line.LineWidth = 1;
                line.LegendText = legend;
            }
            var actual = plot.Add.ScatterLine(xs, points.Select(p => p.Actual).ToArray());
            actual.Color = Colors.Black;
            actual.LegendText = "actual";
            var forecast = plot.Add.ScatterLine(xs, points.Select(p => p.Point).ToArray());
            forecast.Color = Colors.OrangeRed;
            forecast.LegendText = $"forecast (h={result.Horizon}, {result.Model})";
            plot.Axes.DateTimeTicksBottom();
            plot.Title($"{symbol.Symbol}: rel_mae {Format(symbol.Score.RelMae)}, coverage80 {symbol.Score.Coverage80:F2}");
            plot.ShowLegend(Alignment.UpperLeft);
            var path = Path.Combine(directory, FileName(symbol.Symbol) + ".png");
            plot.SavePng(path, 1200, 500);
            files.Add(path);
        }
        return files;
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F3") : "n/a";

    /// <summary>A file name for any valid symbol (<c>^GSPC</c>, <c>EUR/USD</c>, <c>日経225</c>).</summary>
    internal static string FileName(string symbol)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['/', '\\', ':', '*', '?', '"', '<', '>', '|', ' ']).ToHashSet();
        var name = new string(symbol.Select(c => invalid.Contains(c) ? '_' : c).ToArray());
        return name.Trim('.') is { Length: > 0 } trimmed ? trimmed : "symbol";
    }
}
