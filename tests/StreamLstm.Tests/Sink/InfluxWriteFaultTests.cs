using System.Net;
using InfluxDB.Client.Core.Exceptions;
using Polly.CircuitBreaker;
using StreamLstm.Sink;

namespace StreamLstm.Tests.Sink;

public class InfluxWriteFaultTests
{
    [Theory]
    [InlineData(400, nameof(InfluxWriteFaultKind.PointsRefused))]
    [InlineData(422, nameof(InfluxWriteFaultKind.PointsRefused))]
    [InlineData(413, nameof(InfluxWriteFaultKind.TooLarge))]
    [InlineData(401, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(403, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(404, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(405, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(307, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(408, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(429, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(500, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(502, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(503, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(504, nameof(InfluxWriteFaultKind.Transient))]
    public void Only_400_and_422_blame_the_points_and_every_other_4xx_blames_the_request(int status, string kind) =>
        Assert.Equal(Enum.Parse<InfluxWriteFaultKind>(kind), InfluxWriteFault.Classify((HttpStatusCode)status));

    [Theory]
    [InlineData(400, nameof(InfluxWriteFaultKind.PointsRefused))]
    [InlineData(401, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(403, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(404, nameof(InfluxWriteFaultKind.Configuration))]
    [InlineData(413, nameof(InfluxWriteFaultKind.TooLarge))]
    [InlineData(422, nameof(InfluxWriteFaultKind.PointsRefused))]
    [InlineData(429, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(500, nameof(InfluxWriteFaultKind.Transient))]
    [InlineData(503, nameof(InfluxWriteFaultKind.Transient))]
    public void An_answer_the_client_reports_is_sorted_by_its_status_not_by_the_request_exception_inside(int status, string kind)
    {
        // InfluxDB.Client 5.1 puts an HttpRequestException ("Request failed with status code ...") inside each HttpException.
        var answer = new HttpException("from the server", status, new HttpRequestException($"Request failed with status code {status}"));
        Assert.Equal(Enum.Parse<InfluxWriteFaultKind>(kind), InfluxWriteFault.Classify(answer));
    }

    [Fact]
    public void A_network_error_a_timeout_and_an_open_circuit_are_transient()
    {
        // What InfluxDB.Client 5.1 throws when the connection is refused, and when its request times out.
        Assert.Equal(InfluxWriteFaultKind.Transient, InfluxWriteFault.Classify(new HttpException("Connection refused", 0, new HttpRequestException("Connection refused"))));
        Assert.Equal(InfluxWriteFaultKind.Transient, InfluxWriteFault.Classify(new HttpException("A task was canceled.", 0, new TaskCanceledException())));
        Assert.Equal(InfluxWriteFaultKind.Transient, InfluxWriteFault.Classify(new HttpRequestException("connection refused")));
        Assert.Equal(InfluxWriteFaultKind.Transient, InfluxWriteFault.Classify(new BrokenCircuitException()));
        Assert.Equal(InfluxWriteFaultKind.Transient, InfluxWriteFault.Classify(new InvalidOperationException("wrapped", new IOException("reset"))));
    }

    [Fact]
    public void A_configuration_fault_is_described_with_the_status_and_influxdbs_message()
    {
        Assert.Equal("InfluxDB answered 401 Unauthorized: unauthorized access",
            InfluxWriteFault.DescribeConfigurationFault(new UnauthorizedException("unauthorized access")));
        Assert.Equal("InfluxDB answered 404 Not Found: bucket \"ticks\" not found",
            InfluxWriteFault.DescribeConfigurationFault(new NotFoundException("bucket \"ticks\" not found")));
        Assert.Equal("HTTP 400 Bad Request: unable to parse 'x'", InfluxWriteFault.Describe(new BadRequestException("unable to parse 'x'")));
    }

    [Fact]
    public void A_proxys_html_page_is_described_by_its_first_line_cut_short()
    {
        var page = "<html><body>" + new string('x', 1000) + "</body>\n</html>";
        var description = InfluxWriteFault.DescribeConfigurationFault(new ForbiddenException(page));
        Assert.StartsWith("InfluxDB answered 403 Forbidden: <html><body>xxx", description);
        Assert.EndsWith("...", description);
        Assert.True(description.Length < 400, description);
        Assert.Equal("InfluxDB answered 403 Forbidden: (no message)", InfluxWriteFault.DescribeConfigurationFault(new ForbiddenException("")));
    }
}
