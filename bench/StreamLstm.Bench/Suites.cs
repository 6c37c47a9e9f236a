using System.Globalization;
using System.Text.Json;

namespace StreamLstm.Bench;

/// <summary>
/// Benchmark entry point: <c>dotnet run -c Release --project bench/StreamLstm.Bench -- SUITE</c>. Progress goes to
/// standard error; the last line of standard output is one flat JSON object of the suite's figures, each measured
/// next to its baseline in the same run, with their ratios.
/// </summary>
public static class Suites
{
    public static int Run(string[] args)
    {
        var suite = args.FirstOrDefault();
        if (suite == PipelineSuite.PublishVerb) return PipelineSuite.PublishFromChildProcess(args);
        Dictionary<string, double>? figures;
        try
        {
            figures = suite switch
            {
                "training" => TrainingSuite.Run(),
                "inference" => InferenceSuite.Run(),
                "pipeline" => PipelineSuite.Run(),
                "restore" => PipelineSuite.RunRestore(),
                "profiles" => PipelineSuite.RunProfiles(),
                "features" => PipelineSuite.RunFeatures(),
                "learning" => LearningSuite.Run(args),
                "e2e" => E2eSuite.Run(args),
                _ => null,
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
        if (figures is null)
        {
            Console.Error.WriteLine($"error: unknown suite '{suite}' (available: training, inference, pipeline, restore, profiles, features, learning, e2e)");
            return 2;
        }
        Console.WriteLine(JsonSerializer.Serialize(figures.ToDictionary(kv => kv.Key, kv => Round(kv.Value))));
        return 0;
    }

    /// <summary>Six decimals, but six significant digits below 1 so that small differences do not print as 0.</summary>
    private static double Round(double value) =>
        Math.Abs(value) >= 1 || value == 0 || !double.IsFinite(value)
            ? Math.Round(value, 6)
            : double.Parse(value.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    internal static void Log(string message) => Console.Error.WriteLine(message);

    internal static string F(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
