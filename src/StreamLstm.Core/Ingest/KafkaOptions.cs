namespace StreamLstm.Ingest;

/// <summary>The feed (configuration section <c>Kafka</c>).</summary>
public sealed class KafkaOptions
{
    /// <summary>Brokers, <c>host:port[,host:port]</c>. Required.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>Tick topic. Default <c>ticks</c>.</summary>
    public string Topic { get; set; } = "ticks";

    /// <summary>Consumer group: workers in one group split the partitions. Default <c>streamlstm</c>.</summary>
    public string GroupId { get; set; } = "streamlstm";

    /// <summary>Where unusable messages go, with the reason. Default <c>ticks.dlq</c>.</summary>
    public string DeadLetterTopic { get; set; } = "ticks.dlq";

    /// <summary>
    /// Compacted changelog of the per-symbol serving state (<c>State:*</c>): partition p holds the states of the tick
    /// topic's partition p, keyed by symbol. Default <c>{Topic}.state</c>.
    /// </summary>
    public string? StateTopic { get; set; }

    /// <summary>The state changelog's name: <see cref="StateTopic"/>, or <c>{Topic}.state</c>.</summary>
    public string StateTopicName => string.IsNullOrWhiteSpace(StateTopic) ? $"{Topic}.state" : StateTopic;

    /// <summary>
    /// Compacted topic the model store lives on instead of <c>Model:Directory</c> (one partition, created when missing),
    /// so every worker of the group serves, follows and promotes the same versions. Default none: the directory store.
    /// </summary>
    public string? ModelTopic { get; set; }

    /// <summary>
    /// When set, every served forecast is also published here: one JSON message per forecast and horizon, keyed by
    /// symbol (docs/reference.md, "Forecast messages"). With <c>Influx:Url</c> empty, only here. Default none.
    /// </summary>
    public string? ForecastTopic { get; set; }

    /// <summary>Any librdkafka consumer property (security.protocol, sasl.*, ssl.*, fetch tuning).</summary>
    public Dictionary<string, string> Consumer { get; set; } = [];

    /// <summary>Any librdkafka producer property, for every producer of the worker and the verbs (dead letters, state checkpoints, forecasts, models, <c>replay</c>).</summary>
    public Dictionary<string, string> Producer { get; set; } = [];

    /// <summary>Ticks queued between the consumer and the forecaster before consumption pauses. Default 50,000.</summary>
    public int QueueTicks { get; set; } = 50_000;
}
