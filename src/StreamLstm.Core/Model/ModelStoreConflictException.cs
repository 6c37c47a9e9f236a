namespace StreamLstm.Model;

/// <summary>
/// A switch of the current version refused because the current version is no longer the one the caller expected (a
/// trainer or operator working from a stale view); nothing was changed.
/// </summary>
/// <param name="message">One line naming the store, the version, the expected and the actual current version.</param>
/// <param name="current">The version that is current instead (null: none).</param>
public sealed class ModelStoreConflictException(string message, string? current) : ModelStoreException(message)
{
    /// <summary>The version that is current instead of the expected one (null: none).</summary>
    public string? Current { get; } = current;
}
