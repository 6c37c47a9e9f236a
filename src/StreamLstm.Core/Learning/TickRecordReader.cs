using System.Buffers.Binary;
using System.Buffers;

namespace StreamLstm.Learning;

/// <summary>
/// Reads a history file's records from the stream's position on, through a 1 MB buffer, up to the first that is
/// incomplete, fails its checksum or holds an invalid time or price (its symbol is for the caller to check).
/// </summary>
internal sealed class TickRecordReader(Stream stream, uint version) : IDisposable
{
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
    private int _pos, _end;
    private bool _eof;

    /// <summary>The next record, whole and as its fields; the spans are valid until the next call.</summary>
    public bool TryRead(out ReadOnlySpan<byte> record, out ReadOnlySpan<byte> utf8, out long offset, out long time, out double price) =>
        TryRead(out record, out utf8, out offset, out time, out price, out _);

    /// <summary>The next record, with its volume and quote.</summary>
    public bool TryRead(out ReadOnlySpan<byte> record, out ReadOnlySpan<byte> utf8, out long offset, out long time, out double price, out TickExtras extras)
    {
        if (_end - _pos < TickRecordFormat.MaxRecordSize && !_eof)
        {
            _buffer.AsSpan(_pos, _end - _pos).CopyTo(_buffer);
            _end -= _pos;
            _pos = 0;
            int read = stream.ReadAtLeast(_buffer.AsSpan(_end), _buffer.Length - _end, throwOnEndOfStream: false);
            _eof = read < _buffer.Length - _end;
            _end += read;
        }
        var data = _buffer.AsSpan(_pos, _end - _pos);
        if (!TickRecordFormat.TryReadRecord(data, version, out int size, out offset, out time, out price, out extras))
        {
            record = utf8 = default;
            return false;
        }
        record = data[..size];
        utf8 = record.Slice(2, BinaryPrimitives.ReadUInt16LittleEndian(record));
        _pos += size;
        return true;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}
