using StreamLstm.Inference;

namespace StreamLstm.Tests.Inference;

public class ForecastScoreTests
{
    [Fact]
    public void Figures_follow_the_contract_definitions()
    {
        var score = new ForecastScore();
        score.Add(last: 100, point: 101, lower: 99, upper: 103, actual: 102);   // up, right direction, inside
        score.Add(last: 100, point: 100.5, lower: 99, upper: 101, actual: 98);  // down, wrong direction, outside
        score.Add(last: 100, point: 99, lower: 98, upper: 102, actual: 100);    // unchanged: not directional
        Assert.Equal(3, score.N);
        Assert.Equal((1 + 2.5 + 1) / 3, score.Mae, 12);
        Assert.Equal(Math.Sqrt((1 + 6.25 + 1) / 3), score.Rmse, 12);
        Assert.Equal((2 + 2 + 0) / 3.0, score.NaiveMae, 12);
        Assert.Equal(4.5 / 4, score.RelMae!.Value, 12);
        Assert.Equal(0.5, score.DirectionalAccuracy, 12);
        Assert.Equal(2 / 3.0, score.Coverage80, 12);
        Assert.Equal((0.04 + 0.02 + 0.04) / 3, score.IntervalWidth, 12);
    }

    [Fact]
    public void Interval_score_and_pinball_losses_match_hand_computed_values()
    {
        var score = new ForecastScore();
        // Inside: the interval score is the width, 4; pinball 0.1 of 99 for 102: 0.1 * 3; median 101: 0.5 * 1; 0.9 of 103: 0.1 * 1.
        score.Add(last: 100, point: 101, lower: 99, upper: 103, actual: 102);
        // Below: width 2 plus 2 / 0.2 * (99 - 98) = 12; pinball 0.1 of 99: 0.9 * 1; median 100.5: 0.5 * 2.5; 0.9 of 101: 0.1 * 3.
        score.Add(last: 100, point: 100.5, lower: 99, upper: 101, actual: 98);
        // Above, at another price level: width 4 plus 10 * (206 - 204) = 24, over 200; pinballs 0.1 * 6, 0.5 * 5, 0.9 * 2, over 200.
        score.Add(last: 200, point: 201, lower: 200, upper: 204, actual: 206);

        Assert.Equal((4 / 100.0 + 12 / 100.0 + 24 / 200.0) / 3, score.IntervalScore, 12);
        Assert.Equal((0.3 / 100 + 0.9 / 100 + 0.6 / 200) / 3, score.Pinball10, 12);
        Assert.Equal((0.5 / 100 + 1.25 / 100 + 2.5 / 200) / 3, score.Pinball50, 12);
        Assert.Equal((0.1 / 100 + 0.3 / 100 + 1.8 / 200) / 3, score.Pinball90, 12);

        // Merging two halves gives the figures of the whole.
        var first = new ForecastScore();
        first.Add(100, 101, 99, 103, 102);
        var rest = new ForecastScore();
        rest.Add(100, 100.5, 99, 101, 98);
        rest.Add(200, 201, 200, 204, 206);
        first.Merge(rest);
        Assert.Equal(score.IntervalScore, first.IntervalScore, 15);
        Assert.Equal(score.Pinball90, first.Pinball90, 15);
    }

    [Fact]
    public void Rel_mae_is_null_when_the_naive_forecast_is_perfect()
    {
        var score = new ForecastScore();
        score.Add(100, 100, 99, 101, 100);
        Assert.Null(score.RelMae);
    }
}
