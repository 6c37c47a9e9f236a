using System.Runtime.InteropServices;

namespace StreamLstm;

/// <summary>
/// Floats written and read a whole span at a time, little-endian as <see cref="BinaryWriter"/> writes each one: a state
/// checkpoint is mostly float arrays (LSTM state, feature rows), and one call per span instead of one per float makes
/// encoding it several times cheaper on the forecast loop.
/// </summary>
internal static class BinaryFloats
{
    public static void Write(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        foreach (var value in values) writer.Write(value);
    }

    public static void Read(BinaryReader reader, Span<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            var bytes = MemoryMarshal.AsBytes(values);
            if (reader.Read(bytes) != bytes.Length) throw new EndOfStreamException("the record ends inside its numbers");
            return;
        }
        for (int i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
    }
}
