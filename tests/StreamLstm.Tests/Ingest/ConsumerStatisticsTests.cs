using System.Text.Json;
using StreamLstm.Ingest;

namespace StreamLstm.Tests.Ingest;

public class ConsumerStatisticsTests
{
    // The shape of librdkafka's statistics (STATISTICS.md), cut to what matters: -1 is its internal partition, and a
    // partition with no position or high watermark yet has consumer_lag -1.
    private const string Statistics = """
        {"name":"rdkafka#consumer-1","type":"consumer","ts":1,"topics":{
          "ticks":{"topic":"ticks","partitions":{
            "0":{"partition":0,"consumer_lag":12,"consumer_lag_stored":15,"hi_offset":100},
            "1":{"partition":1,"consumer_lag":0,"hi_offset":40},
            "2":{"partition":2,"consumer_lag":-1,"hi_offset":-1},
            "-1":{"partition":-1,"consumer_lag":-1}}},
          "other":{"topic":"other","partitions":{"0":{"partition":0,"consumer_lag":99}}}}}
        """;

    [Fact]
    public void Lag_is_read_per_partition_of_the_topic_leaving_out_unknown_lags_and_the_internal_partition()
    {
        var lags = ConsumerStatistics.Lag(Statistics, "ticks");
        Assert.Equal([(0, 12L), (1, 0L)], lags);
    }

    [Fact]
    public void Statistics_without_the_topic_give_no_lag()
    {
        Assert.Empty(ConsumerStatistics.Lag(Statistics, "absent"));
        Assert.Empty(ConsumerStatistics.Lag("""{"name":"rdkafka#consumer-1","topics":{}}""", "ticks"));
        Assert.Empty(ConsumerStatistics.Lag("""{"name":"rdkafka#consumer-1"}""", "ticks"));
    }

    [Fact]
    public void Text_that_is_not_json_is_refused()
    {
        Assert.ThrowsAny<JsonException>(() => ConsumerStatistics.Lag("not json", "ticks"));
    }
}
