using System.Text;
using StreamLstm.Sink;

namespace StreamLstm.Tests.Sink;

public class LineProtocolTests
{
    [Fact]
    public void Tag_values_escape_commas_equals_signs_and_spaces()
    {
        var line = new StringBuilder();
        LineProtocol.Price(line, "A B,c=d/^日経", 1.5, 1_714_564_800_123_000_000);
        Assert.Equal("price,symbol=A\\ B\\,c\\=d/^日経 value=1.5 1714564800123000000\n", line.ToString());
    }

    [Fact]
    public void Forecast_points_carry_horizon_model_and_symbol_tags_and_three_float_fields()
    {
        var line = new StringBuilder();
        LineProtocol.Forecast(line, "EURUSD", 2, "v3", 1.07, 1.06, 1.08, 42);
        Assert.Equal("forecast,horizon=2,model=v3,symbol=EURUSD lower=1.06,upper=1.08,value=1.07 42\n", line.ToString());
    }

    [Fact]
    public void The_series_key_ends_at_the_first_unescaped_space_and_the_timestamp_ends_the_line()
    {
        var line = new StringBuilder();
        LineProtocol.Price(line, "A B,c=d", 1.5, -42);
        var text = line.ToString().TrimEnd('\n');
        Assert.Equal("price,symbol=A\\ B\\,c\\=d", text[..LineProtocol.SeriesKeyLength(text)]);
        Assert.True(LineProtocol.TryTimestamp(text, out var time));
        Assert.Equal(-42, time);
        Assert.False(LineProtocol.TryTimestamp("price,symbol=X value=1", out _));
    }

    [Fact]
    public void Event_times_are_nanoseconds_and_repeats_add_one_each()
    {
        var t = new DateTime(2024, 5, 1, 12, 0, 0, 123, DateTimeKind.Utc);
        Assert.Equal(1_714_564_800_123_000_000, LineProtocol.Nanoseconds(t));
        Assert.Equal(1_714_564_800_123_000_002, LineProtocol.Nanoseconds(t, 2));
    }

    [Fact]
    public void Non_finite_fields_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LineProtocol.Price(new StringBuilder(), "X", double.NaN, 0));
    }

    [Fact]
    public void A_model_event_carries_action_model_source_and_the_finite_figures_the_decision_was_made_on()
    {
        var line = new StringBuilder();
        LineProtocol.ModelEvent(line, "promoted", "v4", "retrain", 0.97, 0.99, 0.8, 7);
        LineProtocol.ModelEvent(line, "rollback", "v3", "operator", 0.98, double.NaN, 0.81, 8);
        LineProtocol.ModelEvent(line, "rejected", "challenger", "retrain", double.NaN, double.NaN, double.NaN, 9);
        LineProtocol.ModelEvent(line, "promoted", "v5", "train", 0.95, double.NaN, 0.79, 10);
        Assert.Equal("model_event,action=promoted,model=v4,source=retrain champion_rel_mae=0.99,coverage80=0.8,model_version=4,rel_mae=0.97 7\n" +
                     "model_event,action=rollback,model=v3,source=operator coverage80=0.81,model_version=3,rel_mae=0.98 8\n" +
                     "model_event,action=rejected,model=challenger,source=retrain model_version=0 9\n" +
                     "model_event,action=promoted,model=v5,source=train coverage80=0.79,model_version=5,rel_mae=0.95 10\n", line.ToString());
    }
}
