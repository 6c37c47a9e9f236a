namespace StreamLstm.IntegrationTests.Fixtures;

internal static class Poll
{
    /// <summary>
    /// Re-checks <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes. Exceptions from a check
    /// count as "not yet" (a server still starting refuses connections); the last one is kept for the error message.
    /// </summary>
    public static async Task UntilAsync(
        Func<CancellationToken, Task<bool>> condition,
        TimeSpan timeout,
        string what,
        Func<string>? diagnostics = null,
        CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Exception? last = null;
        var interval = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            try
            {
                if (await condition(deadline.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !deadline.IsCancellationRequested)
            {
                last = e;
            }
            catch (OperationCanceledException)
            {
                // The deadline fired inside the check; reported below.
            }

            if (deadline.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var detail = last is null ? "" : $" Last error: {last.GetType().Name}: {last.Message}";
                var extra = diagnostics?.Invoke();
                throw new TimeoutException(
                    $"{what} did not happen within {timeout.TotalSeconds:0.#} s.{detail}{(string.IsNullOrEmpty(extra) ? "" : "\n" + extra)}");
            }

            try
            {
                await Task.Delay(interval, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Checked at the top of the next round.
            }

            interval = TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds * 2, 200));
        }
    }
}
