namespace StreamLstm.Model;

/// <summary>A switch of a store's current version, as its history keeps it.</summary>
/// <param name="Utc">When it was made.</param>
/// <param name="Version">The version made current (<c>vN</c>, or <see cref="NaiveModel.Id"/>).</param>
/// <param name="Reason">Why (<c>trained</c>, <c>promoted</c>, <c>rollback</c>, <c>retired: ...</c>).</param>
/// <param name="Source">Who made it (<see cref="ModelSwitchSource"/>); null in switches recorded by releases that did not keep it.</param>
public sealed record ModelSwitch(DateTime Utc, string Version, string Reason, string? Source);
