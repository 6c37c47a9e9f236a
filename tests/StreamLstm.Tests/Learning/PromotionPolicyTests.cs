using StreamLstm.Learning;

namespace StreamLstm.Tests.Learning;

public class PromotionPolicyTests
{
    private static readonly PromotionPolicy Policy = new(margin: 0.01, coverageMin: 0.75, coverageMax: 0.85);

    [Fact]
    public void A_challenger_better_than_the_champion_by_the_margin_with_coverage_in_range_is_promoted()
    {
        var decision = Policy.Decide(relMae: 0.90, coverage80: 0.80, championRelMae: 0.95);
        Assert.True(decision.Promote, decision.Reason);
    }

    [Theory]
    [InlineData(0.945, 0.80, 0.95)]   // better, but by less than the margin
    [InlineData(0.96, 0.80, 0.95)]    // worse than the champion
    [InlineData(0.995, 0.80, null)]   // cold start: naive (1) less the margin is 0.99
    [InlineData(0.995, 0.80, 1.2)]    // a champion worse than naive: naive is the bar
    public void A_challenger_not_better_by_the_margin_than_both_champion_and_naive_is_rejected(double relMae, double coverage, double? champion)
    {
        var decision = Policy.Decide(relMae, coverage, champion);
        Assert.False(decision.Promote);
        Assert.Contains("rel_mae", decision.Reason);
    }

    [Theory]
    [InlineData(0.70)]
    [InlineData(0.90)]
    [InlineData(double.NaN)]
    public void A_challenger_whose_coverage_is_out_of_range_is_rejected_however_accurate(double coverage)
    {
        var decision = Policy.Decide(0.5, coverage, 0.95);
        Assert.False(decision.Promote);
        Assert.Contains("coverage80", decision.Reason);
    }

    [Fact]
    public void A_challenger_with_nothing_scored_is_rejected()
    {
        Assert.False(Policy.Decide(null, 0.8, 0.95).Promote);
        Assert.False(Policy.Decide(double.NaN, 0.8, 0.95).Promote);
    }

    [Theory]
    [InlineData(1.02, true)]     // the champion loses to the last price by more than the margin: retired
    [InlineData(1.005, false)]   // worse than naive, but within the margin
    [InlineData(0.95, false)]
    [InlineData(null, false)]
    public void Naive_replaces_a_champion_only_when_it_beats_it_by_the_margin(double? champion, bool retire)
    {
        Assert.Equal(retire, Policy.DecideNaive(champion).Promote);
    }

    [Fact]
    public void At_cold_start_a_challenger_that_beats_naive_by_the_margin_is_promoted()
    {
        Assert.True(Policy.Decide(0.98, 0.8, null).Promote);
    }

    [Theory]
    [InlineData("Interval", "00:00:00", "Learning:Interval must be positive")]
    [InlineData("CoverageMin", "0.9", "Learning:CoverageMin (0.9) must not exceed Learning:CoverageMax (0.85)")]
    [InlineData("HoldoutFraction", "0.9", "Learning:HoldoutFraction: The field HoldoutFraction must be between 0.05 and 0.5.")]
    public void Invalid_learning_settings_are_refused_naming_the_key(string key, string value, string message)
    {
        var settings = key switch
        {
            "Interval" => new LearningSettings { Interval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "CoverageMin" => new LearningSettings { CoverageMin = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            _ => new LearningSettings { HoldoutFraction = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        };
        var ex = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(settings.Validate);
        Assert.StartsWith(message, ex.Message);
    }
}
