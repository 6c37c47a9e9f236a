using StreamLstm.Tests.Support;
using StreamLstm.Tests.Verbs;

namespace StreamLstm.Tests.Hosting;

public class ModelTopicSettingTests
{
    [Theory]
    [InlineData("--Kafka:ModelTopic=ticks")]
    [InlineData("--Kafka:ModelTopic=ticks.dlq")]
    [InlineData("--Kafka:ModelTopic=ticks.state")]
    public void The_model_topic_must_not_be_one_of_the_worker_s_other_topics(string setting) =>
        VerbTests.AssertOneLineError(VerbRunner.Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", setting),
            "Kafka:ModelTopic must differ from Kafka:Topic, Kafka:DeadLetterTopic and Kafka:StateTopic");

    [Fact]
    public void The_models_verbs_on_a_model_topic_without_brokers_are_a_one_line_error()
    {
        VerbTests.AssertOneLineError(VerbRunner.Run("models", "list", "--Kafka:ModelTopic=models"),
            "Kafka:ModelTopic is 'models' but Kafka:BootstrapServers is not set");
        VerbTests.AssertOneLineError(VerbRunner.Run("train", "--data", "x.csv"), "Option '--out' is required (or set Kafka:ModelTopic");
    }
}
