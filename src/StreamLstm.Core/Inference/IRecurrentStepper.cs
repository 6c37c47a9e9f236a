namespace StreamLstm.Inference;

/// <summary>
/// Advances a batch of symbols' LSTM states by one tick each and produces the network's raw outputs for that tick.
/// </summary>
public interface IRecurrentStepper
{
    /// <summary>
    /// Steps each state once with its row of <paramref name="inputs"/> ([batch * features], row i belongs to
    /// <c>states[i]</c>), updating the states in place, and writes the raw outputs ([batch * 3H]) into
    /// <paramref name="raw"/>.
    /// </summary>
    void Step(IReadOnlyList<RecurrentState> states, ReadOnlySpan<float> inputs, Span<float> raw);
}
