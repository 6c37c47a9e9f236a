using System.Net;
using InfluxDB.Client.Core.Exceptions;
using Polly.CircuitBreaker;

namespace StreamLstm.Sink;

/// <summary>Sorts failed InfluxDB writes by what they say, and describes them for logs and the status (never with the token).</summary>
internal static class InfluxWriteFault
{
    /// <summary>Longest InfluxDB message kept (a proxy may answer with a whole HTML page).</summary>
    private const int MaxMessageLength = 300;

    /// <summary>
    /// Only 400 and 422 are documented by InfluxDB as caused by the points; every other 4xx blames the request, so no
    /// point is rejected for it.
    /// </summary>
    public static InfluxWriteFaultKind Classify(HttpStatusCode status) => (int)status switch
    {
        400 or 422 => InfluxWriteFaultKind.PointsRefused,
        413 => InfluxWriteFaultKind.TooLarge,
        0 or 408 or 429 or >= 500 => InfluxWriteFaultKind.Transient,
        _ => InfluxWriteFaultKind.Configuration,
    };

    /// <summary>
    /// An HTTP answer by its status (InfluxDB.Client puts an <see cref="HttpRequestException"/> inside every
    /// <see cref="HttpException"/>, so the answer is looked at first); anything without an answer is transient. A
    /// cancellation is a timed-out request here: the sink checks its own stop before asking.
    /// </summary>
    public static InfluxWriteFaultKind Classify(Exception exception) => exception switch
    {
        HttpException http => Classify((HttpStatusCode)http.Status),
        HttpRequestException or TimeoutException or IOException or OperationCanceledException or BrokenCircuitException => InfluxWriteFaultKind.Transient,
        { InnerException: { } inner } => Classify(inner),
        _ => InfluxWriteFaultKind.Transient,
    };

    /// <summary>For logs and the rejected-points file: <c>HTTP 401 Unauthorized: unauthorized access</c>.</summary>
    public static string Describe(Exception? exception) => exception switch
    {
        null => "unknown error",
        HttpException { Status: > 0 } http => $"HTTP {http.Status} {ReasonPhrase(http.Status)}: {Message(http.Message)}",
        _ => $"{exception.GetType().Name}: {Message(exception.Message)}",
    };

    /// <summary>For the status: <c>InfluxDB answered 401 Unauthorized: unauthorized access</c>.</summary>
    public static string DescribeConfigurationFault(Exception exception) => exception is HttpException { Status: > 0 } http
        ? $"InfluxDB answered {http.Status} {ReasonPhrase(http.Status)}: {Message(http.Message)}"
        : $"InfluxDB write failed: {Describe(exception)}";

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => Enum.IsDefined((HttpStatusCode)status) ? ((HttpStatusCode)status).ToString() : "",
    };

    private static string Message(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "(no message)";
        var end = text.IndexOfAny(['\r', '\n']);
        var line = (end < 0 ? text : text[..end]).Trim();
        return line.Length <= MaxMessageLength ? line : line[..MaxMessageLength] + "...";
    }
}
