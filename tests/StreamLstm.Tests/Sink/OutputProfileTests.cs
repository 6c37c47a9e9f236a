using System.ComponentModel.DataAnnotations;
using System.Globalization;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Telemetry;
using StreamLstm.Tests.Support;
using TorchSharp;

namespace StreamLstm.Tests.Sink;

public class OutputProfileTests
{
    private static readonly TimeSpan SkillInterval = TimeSpan.FromMinutes(10);

    private static ModelVersion Model()
    {
        torch.manual_seed(3);
        var settings = new ModelSettings { HiddenSize = 8, Layers = 2, Horizons = 3, Warmup = 10, Window = 20, BurnIn = 5 };
        return new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(3)), new ModelMetadata { Version = "v1" });
    }

    /// <summary>Ticks of 3 symbols a minute apart, every 5th repeating its symbol's time, offsets in one partition.</summary>
    private static IngestedTick[] Ticks(int perSymbol = 300)
    {
        var seen = new Dictionary<string, int>();
        return SyntheticTicks.Generate(3, perSymbol, seed: 9)
            .Select((tick, i) =>
            {
                int n = seen[tick.Symbol] = seen.GetValueOrDefault(tick.Symbol) + 1;
                var t = n % 5 == 0 ? tick with { Timestamp = tick.Timestamp - TimeSpan.FromMinutes(1) } : tick;
                return new IngestedTick(t, new SourcePosition(0, i));
            })
            .ToArray();
    }

    private static List<ProfilePoint> Run(ModelVersion model, OutputSettings output, IngestedTick[] ticks, int batch = 29)
    {
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters()) { Output = output };
        var points = new List<ProfilePoint>();
        for (int i = 0; i < ticks.Length; i += batch)
        {
            var lines = new PointBatch();
            processor.Process(ticks.AsSpan(i, Math.Min(batch, ticks.Length - i)), lines);
            var text = lines.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(lines.Points, text.Length);
            points.AddRange(text.Select(ProfilePoint.Parse));
        }
        return points;
    }

    private static long Ns(TimeSpan span) => span.Ticks * 100;

    [Fact]
    public void Skill_points_are_the_sums_of_the_per_tick_forecast_errors_over_the_same_ticks()
    {
        using var model = Model();
        var ticks = Ticks();
        var full = Run(model, new OutputSettings(), ticks);
        var skill = Run(model, new OutputSettings { Profile = "skill", SkillInterval = SkillInterval }, ticks);

        var expected = ProfileOracle.Skill(full, Ns(SkillInterval));
        Assert.True(expected.Count > 3 * 3 * 20, $"{expected.Count} skill sums");
        Assert.Contains(expected, e => e.Fields["n"] > 1 && e.Fields["covered"] < e.Fields["n"]);
        // Summed in the same order as the per-tick points: equal to the last bit.
        Assert.Equal(ProfileOracle.Texts(expected, "skill"), ProfileOracle.Texts(skill, "skill"));
        Assert.DoesNotContain(skill, p => p.Measurement == "forecast_error");
        // Prices and forecasts are those of the full profile.
        Assert.Equal(ProfileOracle.Texts(full, "price"), ProfileOracle.Texts(skill, "price"));
        Assert.Equal(ProfileOracle.Texts(full, "forecast"), ProfileOracle.Texts(skill, "forecast"));
    }

    [Fact]
    public void Lean_writes_the_chosen_horizons_at_most_once_per_min_interval_and_the_skill_sums()
    {
        using var model = Model();
        var ticks = Ticks();
        var full = Run(model, new OutputSettings(), ticks);
        var minInterval = TimeSpan.FromMinutes(3);
        var lean = Run(model, new OutputSettings { Profile = "lean", SkillInterval = SkillInterval, Horizons = "1, 3", MinInterval = minInterval }, ticks);

        var expected = ProfileOracle.Thinned(full, Ns(minInterval), ["1", "3"]);
        Assert.InRange(expected.Count, 2 * 3 * 80, 2 * 3 * 110);
        Assert.Equal(ProfileOracle.Texts(expected, "forecast"), ProfileOracle.Texts(lean, "forecast"));
        Assert.Equal(ProfileOracle.Texts(ProfileOracle.Skill(full, Ns(SkillInterval)), "skill"), ProfileOracle.Texts(lean, "skill"));
        Assert.Equal(ProfileOracle.Texts(full, "price"), ProfileOracle.Texts(lean, "price"));
        Assert.Equal(["forecast", "price", "skill"], lean.Select(p => p.Measurement).Distinct().Order());
    }

    [Theory]
    [InlineData("fat", null, null, "Sink:Profile 'fat' is not one of full, skill, lean")]
    [InlineData("full", "1", null, "Sink:Horizons applies only to Sink:Profile=lean")]
    [InlineData("skill", null, "00:00:05", "Sink:MinInterval applies only to Sink:Profile=lean")]
    [InlineData("lean", "1,x", null, "Sink:Horizons '1,x' must list horizons")]
    [InlineData("lean", "0", null, "Sink:Horizons '0' must list horizons")]
    [InlineData("lean", null, "-00:00:01", "Sink:MinInterval (-00:00:01) must not be negative")]
    public void Invalid_settings_are_refused_with_the_key(string profile, string? horizons, string? minInterval, string message)
    {
        var settings = new OutputSettings
        {
            Profile = profile, Horizons = horizons, MinInterval = minInterval is null ? null : TimeSpan.Parse(minInterval, CultureInfo.InvariantCulture),
        };
        var error = Assert.Throws<ValidationException>(settings.Validate);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void A_horizon_the_model_does_not_forecast_is_refused_at_start()
    {
        using var model = Model();
        var error = Assert.Throws<ArgumentException>(() => new TickProcessor(model, new ServingSettings(), new PipelineCounters())
        {
            Output = new OutputSettings { Profile = "lean", Horizons = "1,4" },
        });
        Assert.Equal("Sink:Horizons names horizon 4, but the model forecasts 3 horizons", error.Message);
    }

    [Fact]
    public void Skill_intervals_before_the_epoch_are_floored()
    {
        var output = new SymbolOutput();
        var lines = new System.Text.StringBuilder();
        Assert.Equal(0, output.Advance(lines, "S", -15, 10));
        Assert.Equal(-10, output.IntervalEnd);
        output.Add(1, "v1", 1, 2, covered: true);
        Assert.Equal(1, output.Advance(lines, "S", -10, 10));
        Assert.Equal(0, output.IntervalEnd);
        Assert.Equal("skill,horizon=1,model=v1,symbol=S abs_error=1,covered=1,n=1,naive_abs_error=2 -10\n", lines.ToString());
    }
}
