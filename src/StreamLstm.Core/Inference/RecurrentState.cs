namespace StreamLstm.Inference;

/// <summary>One symbol's LSTM state (h, c) for every layer, layer-major: [layers * hidden].</summary>
public sealed class RecurrentState
{
    public RecurrentState(int layers, int hidden)
    {
        H = new float[layers * hidden];
        C = new float[layers * hidden];
    }

    /// <summary>Hidden state h, [layers * hidden].</summary>
    public float[] H { get; }

    /// <summary>Cell state c, [layers * hidden].</summary>
    public float[] C { get; }

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        Array.Clear(H);
        Array.Clear(C);
    }
}
