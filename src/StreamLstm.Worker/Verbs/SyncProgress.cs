namespace StreamLstm.Worker.Verbs;

/// <summary>Reports on the reporting thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
