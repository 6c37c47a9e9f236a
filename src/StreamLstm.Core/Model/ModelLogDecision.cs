namespace StreamLstm.Model;

/// <summary>What folding one record of the model topic did with it.</summary>
internal enum ModelLogDecision
{
    /// <summary>Not a claim (a weights chunk, a tombstone, a key of another kind).</summary>
    NotAClaim,

    /// <summary>A manifest or switch that won: the version id is taken, or the switch happened.</summary>
    Accepted,

    /// <summary>A manifest or switch that lost to an earlier one (or does not parse): ignored by every reader.</summary>
    Refused,
}
