using InfluxDB.Client.Core.Exceptions;
using Polly.CircuitBreaker;
using StreamLstm.Sink;

namespace StreamLstm.Tests.Sink;

public class InfluxPointSinkTests
{
    private static HttpException Http(int status) => new($"status {status}", status);

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(408)]
    public void Server_errors_throttling_and_timeouts_are_retried(int status) => Assert.True(InfluxPointSink.IsTransient(Http(status)));

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(413)]
    [InlineData(422)]
    public void Other_client_errors_are_refusals_for_good(int status) => Assert.False(InfluxPointSink.IsTransient(Http(status)));

    [Fact]
    public void Network_failures_and_an_open_circuit_are_retried_but_cancellation_is_not()
    {
        Assert.True(InfluxPointSink.IsTransient(new HttpRequestException("connection refused")));
        Assert.True(InfluxPointSink.IsTransient(new BrokenCircuitException()));
        Assert.True(InfluxPointSink.IsTransient(new InvalidOperationException("wrapped", new IOException("reset"))));
        Assert.False(InfluxPointSink.IsTransient(new OperationCanceledException()));
    }
}
