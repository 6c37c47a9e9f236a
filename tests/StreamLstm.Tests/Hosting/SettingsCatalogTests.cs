using Microsoft.Extensions.Configuration;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Tests.Hosting;

public class SettingsCatalogTests
{
    private static string? Unknown(params (string Key, string? Value)[] settings) =>
        SettingsCatalog.FindUnknown(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void A_misspelt_key_is_named_with_the_nearest_known_key() =>
        Assert.Equal("unknown setting Model:HiddenSzie (did you mean Model:HiddenSize?)", Unknown(("Model:HiddenSzie", "8")));

    [Fact]
    public void A_key_far_from_every_known_one_is_named_without_a_suggestion() =>
        Assert.Equal("unknown setting Model:Zzzzzzzzzz", Unknown(("Model:Zzzzzzzzzz", "1")));

    [Theory]
    [InlineData("Model:HiddenSize")]
    [InlineData("Model:Warmup")]
    [InlineData("Model:Directory")]
    [InlineData("Model:FollowInterval")]
    [InlineData("Model:KeepVersions")]
    [InlineData("Training:MaxDuration")]
    [InlineData("Serving:MaxSymbols")]
    [InlineData("Learning:DriftCooldown")]
    [InlineData("History:RewarmTicks")]
    [InlineData("Kafka:QueueTicks")]
    [InlineData("Influx:BreakDuration")]
    [InlineData("Ticks:LateWarning")]
    [InlineData("model:hiddensize")]
    [InlineData("KAFKA:BOOTSTRAPSERVERS")]
    public void Every_property_of_the_classes_bound_to_a_section_is_known_in_any_case(string key) =>
        Assert.Null(Unknown((key, "1")));

    [Theory]
    [InlineData("Kafka:Consumer:fetch.min.bytes")]
    [InlineData("Kafka:Producer:acks")]
    [InlineData("kafka:consumer:security.protocol")]
    public void Any_key_under_the_kafka_pass_through_sections_is_known(string key) =>
        Assert.Null(Unknown((key, "1")));

    [Theory]
    [InlineData("Foo:Bar")]
    [InlineData("Logging:LogLevel:Default")]
    [InlineData("Modle:HiddenSize")]
    [InlineData("Model")]
    public void Keys_outside_the_owned_sections_are_not_checked(string key) =>
        Assert.Null(Unknown((key, "1")));

    [Fact]
    public void A_computed_property_is_no_key() =>
        Assert.StartsWith("unknown setting Model:OutputSize", Unknown(("Model:OutputSize", "9")));

    [Fact]
    public void A_key_under_a_value_key_is_unknown_and_the_value_key_suggested() =>
        Assert.Equal("unknown setting Model:HiddenSize:X (did you mean Model:HiddenSize?)", Unknown(("Model:HiddenSize:X", "8")));

    [Fact]
    public void A_node_without_a_value_sets_nothing_and_is_not_checked() =>
        Assert.Null(Unknown(("Model:Nothing", null)));

    [Fact]
    public void The_first_unknown_key_in_key_order_is_named() =>
        Assert.StartsWith("unknown setting Model:Bbbbbbbbbb", Unknown(("Training:Epochs", "2"), ("Model:Bbbbbbbbbb", "1"), ("Serving:Ccccccccccc", "1")));

    [Theory]
    [InlineData("Model:MaxSymbols", "Serving:MaxSymbols")]
    [InlineData("Serving:Horizons", "Model:Horizons or Sink:Horizons")]
    [InlineData("Training:Directory", "Model:Directory or History:Directory")]
    [InlineData("Model:Consumer:fetch.min.bytes", "Kafka:Consumer:fetch.min.bytes")]
    public void A_key_of_another_owned_section_is_suggested(string key, string suggestion) =>
        Assert.Equal(suggestion, SettingsCatalog.Suggest(key));

    [Theory]
    [InlineData("Model:Lyrs", "Model:Layers")] // 2 edits: always close enough
    [InlineData("Learning:PromtionMrgn", "Learning:PromotionMargin")] // 3 edits in 12 characters: within a third
    [InlineData("Kafka:Prodcer:acks", "Kafka:Producer:acks")] // the pass-through child is kept
    [InlineData("model:hiddensize:x", "Model:HiddenSize")]
    [InlineData("Model:Lrs", null)] // 3 edits in 3 characters
    [InlineData("Ticks:MaxSkew", null)] // 5 edits in 7 characters
    public void The_nearest_key_of_the_section_is_suggested_within_two_edits_or_a_third_of_the_length(string key, string? suggestion) =>
        Assert.Equal(suggestion, SettingsCatalog.Suggest(key));

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("HiddenSzie", "HiddenSize", 2)]
    [InlineData("HIDDENSIZE", "hiddensize", 0)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    public void Edit_distance_counts_insertions_deletions_and_substitutions_ignoring_case(string a, string b, int distance) =>
        Assert.Equal(distance, SettingsCatalog.EditDistance(a, b));

    [Fact]
    public void Given_keys_are_the_keys_of_the_section_that_have_a_value()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["model:horizons"] = "5",
            ["Model:Nothing"] = null,
            ["Training:Epochs"] = "2",
        }).Build();
        var given = SettingsCatalog.GivenKeys(configuration, "Model");
        Assert.Equal("horizons", Assert.Single(given));
        Assert.Contains("Horizons", given);
    }
}
