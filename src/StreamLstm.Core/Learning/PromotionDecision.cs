namespace StreamLstm.Learning;

/// <summary>Whether a challenger is promoted, and why, in one line.</summary>
public readonly record struct PromotionDecision(bool Promote, string Reason);
