using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Pipeline;

public class ForecastingServiceTests
{
    [Fact]
    public void Serving_a_stored_model_warns_once_about_each_given_shape_setting_it_has_baked_in()
    {
        using var dir = new TempDirectory();
        var store = new ModelStore(dir.File("store"));
        using (var network = new LstmForecaster(SmallModel.Settings))
            store.Add(network, Calibration.Identity(SmallModel.Settings.Horizons), SmallModel.Metadata());
        var options = new ForecastingOptions
        {
            Kafka = new KafkaOptions { BootstrapServers = "127.0.0.1:1" },
            ModelDirectory = store.Directory,
            // HiddenSize is given too, with the model's own value: not worth a warning.
            Model = SmallModel.Settings with { Horizons = 5 },
            GivenModelKeys = new HashSet<string> { "Horizons", "HiddenSize" },
            Learning = new LearningSettings { Enabled = false },
            History = new HistorySettings { Directory = dir.File("history") },
        };
        var loggers = new ListLoggerFactory();

        using (var service = new ForecastingService(options, _ => throw new InvalidOperationException("not run"), loggers))
            Assert.Equal("v1", service.Pipeline.ServingModel);

        var warning = Assert.Single(loggers.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(new BakedInSetting("Model:Horizons", "5", "v1", "2").Message, warning.Message);
    }
}
