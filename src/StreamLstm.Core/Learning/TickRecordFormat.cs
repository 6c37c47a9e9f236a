using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Unicode;
using StreamLstm.Ticks;

namespace StreamLstm.Learning;

/// <summary>
/// The layout of a tick history file (described on <see cref="TickHistory"/>): the header, a record's fields and its
/// CRC-32C, and a symbol's record bytes.
/// </summary>
internal static class TickRecordFormat
{
    public const int HeaderSize = 8;
    public const int MaxSymbolBytes = 256;
    /// <summary>A record's bytes besides its symbol: the symbol's length, the offset, the time, the price and the checksum.</summary>
    public const int RecordOverhead = 2 + 8 + 8 + 8 + 4;
    public const int MaxRecordSize = RecordOverhead + MaxSymbolBytes;
    private const uint FormatVersion = 2;

    private static ReadOnlySpan<byte> Magic => "SLTH"u8;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The symbol's record bytes (strict UTF-8).</summary>
    /// <exception cref="ArgumentException">The symbol is invalid per <see cref="SymbolRules"/> or not valid UTF-16.</exception>
    public static byte[] SymbolBytes(string symbol)
    {
        if (SymbolRules.Validate(symbol) is { } problem) throw new ArgumentException(problem, nameof(symbol));
        try
        {
            return StrictUtf8.GetBytes(symbol);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException("symbol is not valid UTF-16", nameof(symbol));
        }
    }

    /// <summary>Decodes a record's symbol; false when it is not valid UTF-8, which makes the record bad.</summary>
    public static bool TryDecodeSymbol(ReadOnlySpan<byte> utf8, Span<char> chars, out int length) =>
        Utf8.ToUtf16(utf8, chars, out _, out length, replaceInvalidSequences: false) == OperationStatus.Done;

    /// <summary>Reads the header from the stream's position; null when it is valid, else why it is not.</summary>
    public static string? ReadHeader(FileStream stream)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize)
            return $"{stream.Length} bytes, shorter than the header";
        if (!header[..4].SequenceEqual(Magic))
            return "not a tick history file";
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        return version == FormatVersion ? null : $"format version {version}, not {FormatVersion}";
    }

    /// <summary>Writes the header, <see cref="HeaderSize"/> bytes.</summary>
    public static void WriteHeader(Span<byte> into)
    {
        Magic.CopyTo(into);
        BinaryPrimitives.WriteUInt32LittleEndian(into[4..], FormatVersion);
    }

    /// <summary>
    /// Decodes the record at the start of <paramref name="data"/>; false when it is incomplete, fails its checksum or
    /// holds an invalid time or price (its symbol is for the caller to check).
    /// </summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> data, out int size, out long offset, out long time, out double price)
    {
        size = 0;
        offset = 0;
        time = 0;
        price = 0;
        if (data.Length < 2) return false;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(data);
        if (n is 0 or > MaxSymbolBytes || data.Length < n + RecordOverhead) return false;
        size = n + RecordOverhead;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[(size - 4)..]) != Checksum(data[..(size - 4)])) return false;
        offset = BinaryPrimitives.ReadInt64LittleEndian(data[(2 + n)..]);
        time = BinaryPrimitives.ReadInt64LittleEndian(data[(10 + n)..]);
        price = BinaryPrimitives.ReadDoubleLittleEndian(data[(18 + n)..]);
        return time >= 0 && time <= DateTime.MaxValue.Ticks && double.IsFinite(price) && price > 0;
    }

    /// <summary>Encodes a record of the symbol <paramref name="utf8"/>; returns its size.</summary>
    public static int EncodeRecord(Span<byte> into, byte[] utf8, long offset, long time, double price)
    {
        int n = utf8.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(into, (ushort)n);
        utf8.CopyTo(into[2..]);
        BinaryPrimitives.WriteInt64LittleEndian(into[(2 + n)..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(into[(10 + n)..], time);
        BinaryPrimitives.WriteDoubleLittleEndian(into[(18 + n)..], price);
        BinaryPrimitives.WriteUInt32LittleEndian(into[(26 + n)..], Checksum(into[..(26 + n)]));
        return n + RecordOverhead;
    }

    private static uint Checksum(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        for (; data.Length >= 8; data = data[8..])
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
