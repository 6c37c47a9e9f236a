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

    /// <summary>Writes h and c, for a state checkpoint.</summary>
    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(H.Length);
        BinaryFloats.Write(writer, H);
        BinaryFloats.Write(writer, C);
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote; false (nothing read into the state) when its size is another model's.</summary>
    internal bool ReadFrom(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        if (length != H.Length) return false;
        BinaryFloats.Read(reader, H);
        BinaryFloats.Read(reader, C);
        return true;
    }
}
