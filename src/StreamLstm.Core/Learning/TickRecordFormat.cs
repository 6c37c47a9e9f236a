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
    /// <summary>
    /// A record's bytes besides its symbol and its optional fields: the symbol's length, the offset, the time, the price,
    /// the flags byte (format 3 on) and the checksum.
    /// </summary>
    public const int RecordOverhead = 2 + 8 + 8 + 8 + 1 + 4;
    public const int MaxRecordSize = RecordOverhead + 3 * 8 + MaxSymbolBytes;
    /// <summary>The format written: 3 adds the flags byte and the optional volume, bid and ask. Files of 2 are read (and rewritten as 3).</summary>
    public const uint FormatVersion = 3;
    public const uint OldestReadable = 2;
    private const byte HasVolume = 1, HasQuote = 2;
    private const int Version2Overhead = RecordOverhead - 1;

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
    public static string? ReadHeader(FileStream stream) => ReadHeader(stream, out _);

    /// <summary>Reads the header from the stream's position, with the file's format version; null when it is valid, else why it is not.</summary>
    public static string? ReadHeader(FileStream stream, out uint version)
    {
        version = 0;
        Span<byte> header = stackalloc byte[HeaderSize];
        if (stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize)
            return $"{stream.Length} bytes, shorter than the header";
        if (!header[..4].SequenceEqual(Magic))
            return "not a tick history file";
        version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        return version is >= OldestReadable and <= FormatVersion ? null : $"format version {version}, this build reads {OldestReadable} to {FormatVersion}";
    }

    /// <summary>Writes the header, <see cref="HeaderSize"/> bytes.</summary>
    public static void WriteHeader(Span<byte> into)
    {
        Magic.CopyTo(into);
        BinaryPrimitives.WriteUInt32LittleEndian(into[4..], FormatVersion);
    }

    /// <summary>
    /// Decodes the record of format <paramref name="version"/> at the start of <paramref name="data"/>; false when it is
    /// incomplete, fails its checksum or holds an invalid time, price or optional field (its symbol is for the caller to
    /// check). Absent optional fields read as NaN.
    /// </summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> data, uint version, out int size, out long offset, out long time, out double price, out TickExtras extras)
    {
        size = 0;
        offset = 0;
        time = 0;
        price = 0;
        extras = TickExtras.None;
        if (data.Length < 2) return false;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(data);
        int overhead = version >= 3 ? RecordOverhead : Version2Overhead;
        if (n is 0 or > MaxSymbolBytes || data.Length < n + overhead) return false;
        byte flags = version >= 3 ? data[26 + n] : (byte)0;
        if ((flags & ~(HasVolume | HasQuote)) != 0) return false;
        size = n + overhead + Extras(flags) * 8;
        if (data.Length < size) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[(size - 4)..]) != Checksum(data[..(size - 4)])) return false;
        offset = BinaryPrimitives.ReadInt64LittleEndian(data[(2 + n)..]);
        time = BinaryPrimitives.ReadInt64LittleEndian(data[(10 + n)..]);
        price = BinaryPrimitives.ReadDoubleLittleEndian(data[(18 + n)..]);
        int at = 27 + n;
        double volume = double.NaN, bid = double.NaN, ask = double.NaN;
        if ((flags & HasVolume) != 0)
        {
            volume = BinaryPrimitives.ReadDoubleLittleEndian(data[at..]);
            at += 8;
        }
        if ((flags & HasQuote) != 0)
        {
            bid = BinaryPrimitives.ReadDoubleLittleEndian(data[at..]);
            ask = BinaryPrimitives.ReadDoubleLittleEndian(data[(at + 8)..]);
        }
        extras = new TickExtras(volume, bid, ask);
        return time >= 0 && time <= DateTime.MaxValue.Ticks && double.IsFinite(price) && price > 0 && extras.IsValid;
    }

    /// <summary>The size of the record <see cref="EncodeRecord"/> writes for a symbol of <paramref name="symbolBytes"/> bytes.</summary>
    public static int RecordSize(int symbolBytes, in TickExtras extras) => symbolBytes + RecordOverhead + Extras(Flags(extras)) * 8;

    /// <summary>Encodes a record of the symbol <paramref name="utf8"/>; returns its size.</summary>
    public static int EncodeRecord(Span<byte> into, byte[] utf8, long offset, long time, double price, in TickExtras extras)
    {
        int n = utf8.Length;
        byte flags = Flags(extras);
        BinaryPrimitives.WriteUInt16LittleEndian(into, (ushort)n);
        utf8.CopyTo(into[2..]);
        BinaryPrimitives.WriteInt64LittleEndian(into[(2 + n)..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(into[(10 + n)..], time);
        BinaryPrimitives.WriteDoubleLittleEndian(into[(18 + n)..], price);
        into[26 + n] = flags;
        int at = 27 + n;
        if ((flags & HasVolume) != 0)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(into[at..], extras.Volume);
            at += 8;
        }
        if ((flags & HasQuote) != 0)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(into[at..], extras.Bid);
            BinaryPrimitives.WriteDoubleLittleEndian(into[(at + 8)..], extras.Ask);
            at += 16;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(into[at..], Checksum(into[..at]));
        return at + 4;
    }

    private static byte Flags(in TickExtras extras) =>
        (byte)((double.IsNaN(extras.Volume) ? 0 : HasVolume) | (double.IsNaN(extras.Bid) ? 0 : HasQuote));

    private static int Extras(byte flags) => ((flags & HasVolume) != 0 ? 1 : 0) + ((flags & HasQuote) != 0 ? 2 : 0);

    private static uint Checksum(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        for (; data.Length >= 8; data = data[8..])
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
