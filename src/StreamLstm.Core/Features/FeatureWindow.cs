namespace StreamLstm.Features;

/// <summary>
/// A symbol's rolling window of its most recent feature rows (oldest first when read), so a new model's recurrent
/// state can be re-warmed from the symbol's recent history instead of starting cold.
/// </summary>
public sealed class FeatureWindow(int capacity)
{
    private readonly float[] _rows = new float[capacity * SymbolFeatures.Count];
    private int _next, _count;

    /// <summary>Rows held (at most the capacity).</summary>
    public int Count => _count;

    /// <summary>Most rows held.</summary>
    public int Capacity => capacity;

    /// <summary>Appends a row, dropping the oldest when full.</summary>
    public void Add(ReadOnlySpan<float> row)
    {
        row.CopyTo(_rows.AsSpan(_next * SymbolFeatures.Count, SymbolFeatures.Count));
        _next = (_next + 1) % capacity;
        if (_count < capacity) _count++;
    }

    /// <summary>The <paramref name="age"/>-th oldest row held (0 is the oldest).</summary>
    public ReadOnlySpan<float> Row(int age)
    {
        if ((uint)age >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(age));
        int slot = (_next - _count + age + capacity) % capacity;
        return _rows.AsSpan(slot * SymbolFeatures.Count, SymbolFeatures.Count);
    }

    /// <summary>Writes the rows held, oldest first (their first <paramref name="width"/> features), for a state checkpoint.</summary>
    internal void WriteTo(BinaryWriter writer, int width = SymbolFeatures.Count)
    {
        writer.Write(_count);
        for (int age = 0; age < _count; age++) BinaryFloats.Write(writer, Row(age)[..width]);
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote into this empty window (a longer window keeps its newest rows); rows of an
    /// older checkpoint hold the first <paramref name="width"/> features, the rest read as 0.
    /// </summary>
    internal void ReadFrom(BinaryReader reader, int width = SymbolFeatures.Count)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"feature window of {count} rows");
        Span<float> row = stackalloc float[SymbolFeatures.Count];
        for (int i = 0; i < count; i++)
        {
            BinaryFloats.Read(reader, row[..width]);
            Add(row);
        }
    }
}
