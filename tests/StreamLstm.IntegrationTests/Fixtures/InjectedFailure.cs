using System.Net;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>What the InfluxDB front answers to writes instead of forwarding them, for a number of writes or until cleared.</summary>
internal sealed class InjectedFailure(HttpStatusCode status, string message, int? remaining)
{
    private int _remaining = remaining ?? -1;

    public HttpStatusCode Status { get; } = status;

    public string Message { get; } = message;

    /// <summary>Uses up one write; false once a counted failure has answered all of its writes.</summary>
    public bool TryTake()
    {
        while (true)
        {
            var current = Volatile.Read(ref _remaining);
            if (current < 0)
            {
                return true;
            }

            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _remaining, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}
