using StreamLstm.Model;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Model;

public class BakedInSettingTests
{
    private static readonly ModelSettings Trained = SmallModel.Settings;

    private static HashSet<string> Given(params string[] keys) => [.. keys];

    [Fact]
    public void A_given_shape_setting_the_model_differs_from_is_warned_about_with_the_model_value()
    {
        var found = BakedInSetting.Find(Trained with { Horizons = 5 }, Given("Horizons"), "v3", Trained);
        var setting = Assert.Single(found);
        Assert.Equal(new BakedInSetting("Model:Horizons", "5", "v3", "2"), setting);
        Assert.Equal(
            "Model:Horizons is 5 in the configuration but model v3 was trained with 2; serving with 2 " +
            "(Model:* shape settings apply to the first model trained from an empty store; train a new version to change them)",
            setting.Message);
    }

    [Fact]
    public void Model_features_given_as_a_set_the_model_does_not_read_is_warned_about_and_auto_never_is()
    {
        var trained = Trained.WithFeatures("price");
        Assert.Equal([new BakedInSetting("Model:Features", "quote", "v2", "price")],
            BakedInSetting.Find(Trained with { Features = "quote" }, Given("Features"), "v2", trained));
        Assert.Empty(BakedInSetting.Find(Trained with { Features = "auto" }, Given("Features"), "v2", trained));
    }

    [Theory]
    [InlineData("quotes", "Model:Features is 'quotes'")]
    [InlineData("Price", "Model:Features is 'Price'")]
    public void An_unknown_feature_set_is_refused_naming_the_key(string features, string message) =>
        Assert.Contains(message, Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => (Trained with { Features = features }).Validate()).Message);

    [Fact]
    public void A_setting_left_at_its_default_is_not_warned_about_even_when_the_model_differs() =>
        Assert.Empty(BakedInSetting.Find(new ModelSettings(), Given(), "v1", Trained));

    [Fact]
    public void A_given_setting_equal_to_the_model_value_is_not_warned_about() =>
        Assert.Empty(BakedInSetting.Find(Trained, Given("HiddenSize", "Horizons"), "v1", Trained));

    [Fact]
    public void Given_keys_match_in_any_case_and_each_differing_one_is_warned_about_once_in_shape_order()
    {
        var configured = Trained with { Dropout = 0.5, Window = 80, Warmup = 25 };
        var found = BakedInSetting.Find(configured, Given("warmup", "DROPOUT", "Window", "Directory"), "v1", Trained);
        Assert.Equal(
            [new("Model:Dropout", "0.5", "v1", "0.3"), new("Model:Window", "80", "v1", "40"), new BakedInSetting("Model:Warmup", "25", "v1", "20")],
            found);
    }
}
