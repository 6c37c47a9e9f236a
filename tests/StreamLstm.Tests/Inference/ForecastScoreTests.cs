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
    public void Rel_mae_is_null_when_the_naive_forecast_is_perfect()
    {
        var score = new ForecastScore();
        score.Add(100, 100, 99, 101, 100);
        Assert.Null(score.RelMae);
    }
}
