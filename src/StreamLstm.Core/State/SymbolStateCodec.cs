using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Sink;

namespace StreamLstm.State;

/// <summary>
/// The binary format of one symbol's serving state in the changelog: everything the per-tick path reads for it (its
/// features and feature window, LSTM state, forecasts in flight, interval calibration and skill gate, last time and
/// repeat count, late-tick counts), the model version it was advanced with and the offset its checkpoint covers. Doubles
/// and floats are kept bit for bit, so a restored symbol forecasts exactly as if the worker had never stopped.
/// Hand-written rather than a serializer library's: the state is a few arrays of numbers, read and written on the
/// forecast loop, and the format must stay readable across releases (its first byte is the format version).
/// </summary>
public static class SymbolStateCodec
{
    /// <summary>
    /// The format written: 2 adds the output profile's state (<see cref="SymbolOutput"/>); 3 the quote features' state
    /// and feature rows of all <see cref="Features.SymbolFeatures.Count"/> features. Records of versions 1 and 2 are read
    /// as without them (rows of the <see cref="Features.SymbolFeatures.PriceCount"/> price features, the quote features
    /// 0: exact for a <c>price</c> model, which is all those versions served); records of any other version are
    /// unreadable (re-warmed from history instead).
    /// </summary>
    public const byte FormatVersion = 3;

    private static bool Readable(byte version) => version is >= 1 and <= FormatVersion;

    /// <summary>The state of <paramref name="state"/>, advanced by <paramref name="model"/>, covering its ticks through <paramref name="through"/>.</summary>
    public static byte[] Encode(SymbolState state, string model, long through) => new Encoder().Encode(state, model, through);

    /// <summary>Encodes many states with one buffer (a checkpoint's worth, on the forecast loop). Not thread-safe.</summary>
    public sealed class Encoder
    {
        private readonly MemoryStream _buffer = new(4096);
        private readonly BinaryWriter _writer;

        public Encoder() => _writer = new BinaryWriter(_buffer, System.Text.Encoding.UTF8, leaveOpen: true);

        /// <summary>See <see cref="SymbolStateCodec.Encode"/>.</summary>
        public byte[] Encode(SymbolState state, string model, long through) => Encode(state, model, through, FormatVersion);

        /// <summary>In the layout of an older <paramref name="version"/>, so the tests can check how this build reads one.</summary>
        internal byte[] Encode(SymbolState state, string model, long through, byte version)
        {
            _buffer.SetLength(0);
            var writer = _writer;
            writer.Write(version);
            writer.Write(model);
            writer.Write(through);
            writer.Write(state.Partition);
            writer.Write(state.LastTime?.Ticks ?? -1L);
            writer.Write(state.Repeat);
            writer.Write(state.LateTicks);
            writer.Write(state.LateInARow);
            state.Features.WriteTo(writer, withQuotes: version >= 3);
            state.Recurrent.WriteTo(writer);
            state.Window.WriteTo(writer, version >= 3 ? Features.SymbolFeatures.Count : Features.SymbolFeatures.PriceCount);
            state.Tracker.WriteTo(writer);
            if (version >= 2)
            {
                writer.Write(state.Output is not null);
                state.Output?.WriteTo(writer);
            }
            writer.Flush();
            return _buffer.ToArray();
        }
    }

    /// <summary>
    /// The leading fields of a record, readable without knowing the model's shape (for <c>state list</c>): the model
    /// version, the offset covered, the symbol's last event time. False when the record is of another format version or cut short.
    /// </summary>
    public static bool TryReadHeader(byte[] value, out string model, out long through, out DateTime? lastTime)
    {
        (model, through, lastTime) = ("", -1, null);
        if (value.Length == 0 || !Readable(value[0])) return false;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(value, writable: false), System.Text.Encoding.UTF8);
            reader.ReadByte();
            model = reader.ReadString();
            through = reader.ReadInt64();
            reader.ReadInt32();
            long ticks = reader.ReadInt64();
            lastTime = ticks < 0 ? null : new DateTime(ticks, DateTimeKind.Utc);
            return true;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a record of <paramref name="symbol"/> for a model of <paramref name="settings"/>. False with the reason when
    /// it cannot be read (another format version, cut short, corrupt) or was written for a model of another shape.
    /// </summary>
    public static bool TryDecode(byte[] value, string symbol, ModelSettings settings, ServingSettings serving,
        out CheckpointedState restored, out string problem)
    {
        restored = default;
        if (value.Length == 0)
        {
            problem = "the record is empty";
            return false;
        }
        if (!Readable(value[0]))
        {
            problem = $"format version {value[0]}, this build reads 1 to {FormatVersion}";
            return false;
        }
        try
        {
            using var reader = new BinaryReader(new MemoryStream(value, writable: false), System.Text.Encoding.UTF8);
            byte version = reader.ReadByte();
            string model = reader.ReadString();
            long through = reader.ReadInt64();
            var state = new SymbolState(symbol, settings, serving) { Partition = reader.ReadInt32() };
            long lastTime = reader.ReadInt64();
            state.LastTime = lastTime < 0 ? null : new DateTime(lastTime, DateTimeKind.Utc);
            state.Repeat = reader.ReadInt32();
            state.LateTicks = reader.ReadInt64();
            state.LateInARow = reader.ReadInt32();
            state.Features.ReadFrom(reader, withQuotes: version >= 3);
            if (!state.Recurrent.ReadFrom(reader))
            {
                problem = $"it was written for model {model}, of another size than {settings.Layers}x{settings.HiddenSize}";
                return false;
            }
            state.Window.ReadFrom(reader, version >= 3 ? Features.SymbolFeatures.Count : Features.SymbolFeatures.PriceCount);
            if (!state.Tracker.ReadFrom(reader))
            {
                problem = $"it was written for model {model}, with another number of horizons than {settings.Horizons}";
                return false;
            }
            if (version >= 2 && reader.ReadBoolean()) state.Output = SymbolOutput.ReadFrom(reader);
            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                problem = $"{reader.BaseStream.Length - reader.BaseStream.Position} bytes follow the state";
                return false;
            }
            state.Through = through;
            restored = new CheckpointedState(state, model, through);
            problem = "";
            return true;
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException or ArgumentException or FormatException)
        {
            problem = $"it cannot be read ({ex.Message})";
            return false;
        }
    }
}
