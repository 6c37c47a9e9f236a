using System.Buffers.Binary;
using System.Text;
using StreamLstm.Learning;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;
using static StreamLstm.Tests.Verbs.VerbTests;

namespace StreamLstm.Tests.Verbs;

public class HistoryVerbTests
{
    private const string Topic = "ticks";
    private static readonly DateTime Start = new(2030, 12, 31, 23, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Bad = new(2031, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static HistorySettings Settings(TempDirectory dir) => new() { Directory = dir.File("history") };

    /// <summary>
    /// Partition 0: B, and UAESC stamped after the bad tick; partition 1: C; partition 2: UAESC, 日経225 and UAESC's bad
    /// tick, after which its ticks are late and not kept.
    /// </summary>
    private static void WriteHistory(HistorySettings settings)
    {
        using var history = new TickHistory(settings, Topic);
        long offset = 0;
        for (int i = 0; i < 20; i++)
        {
            history.Append(0, offset++, "B", Start.AddSeconds(i), 10 + i);
            history.Append(1, offset++, "C", Start.AddSeconds(i), 20 + i);
            history.Append(2, offset++, "日経225", Start.AddSeconds(i), 30 + i);
            if (i < 10) history.Append(2, offset++, "UAESC", Start.AddSeconds(i), 40 + i);
            if (i == 10) history.Append(2, offset++, "UAESC", Bad, 99);
            if (i > 10) history.Append(2, offset++, "UAESC", Start.AddSeconds(i), 40 + i);
        }
        history.Append(0, offset, "UAESC", Bad.AddMinutes(1), 98);
    }

    private static List<Tick> Reopened(HistorySettings settings, string symbol)
    {
        using var history = new TickHistory(settings, Topic);
        for (int partition = 0; partition < 3; partition++) history.Open(partition);
        return [.. history.Snapshot().Where(t => t.Symbol == symbol)];
    }

    /// <summary>The file's header and records, split by the record layout documented on <see cref="TickHistory"/>.</summary>
    private static (byte[] Header, List<byte[]> Records) Split(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        for (int at = 8; at < bytes.Length;)
        {
            // [u16 n][n][i64][i64][f64][u8 flags: 1 volume, 2 quote][f64 volume?][f64 bid, f64 ask?][u32]
            int n = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at));
            byte flags = bytes[at + 26 + n];
            int size = n + 31 + ((flags & 1) != 0 ? 8 : 0) + ((flags & 2) != 0 ? 16 : 0);
            records.Add(bytes[at..(at + size)]);
            at += size;
        }
        return (bytes[..8], records);
    }

    private static bool IsBadTickOfUaesc(byte[] record)
    {
        int n = BinaryPrimitives.ReadUInt16LittleEndian(record);
        return Encoding.UTF8.GetString(record, 2, n) == "UAESC" && BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(10 + n)) >= Bad.Ticks;
    }

    [Fact]
    public void Drop_removes_the_symbols_ticks_from_the_time_on_from_every_file_and_keeps_every_other_record_byte_for_byte()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        WriteHistory(settings);
        var files = Enumerable.Range(0, 3).Select(p => Path.Combine(settings.Directory, $"{Topic}-{p}.ticks")).ToArray();
        var before = files.Select(Split).ToArray();
        var untouched = File.ReadAllBytes(files[1]);
        var c = Reopened(settings, "C");
        var early = Enumerable.Range(0, 10).Select(i => Start.AddSeconds(i)).ToList();
        Assert.Equal([.. early, Bad, Bad.AddMinutes(1)], Reopened(settings, "UAESC").Select(t => t.Timestamp));

        var result = Run("history", "drop", "--symbol", "UAESC", "--from", "2031-01-01T00:00:00Z", "--history-dir", settings.Directory);

        Assert.True(result.Code == 0, result.Error);
        Assert.Equal(
            [
                $"removed 1 tick of UAESC at or after 2031-01-01T00:00:00Z from {files[0]}",
                $"removed 1 tick of UAESC at or after 2031-01-01T00:00:00Z from {files[2]}",
                $"removed 2 ticks of UAESC at or after 2031-01-01T00:00:00Z from 2 of the 3 history files of topic ticks in {settings.Directory}",
            ],
            result.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        foreach (var (file, (header, records)) in files.Zip(before))
        {
            var (headerAfter, recordsAfter) = Split(file);
            Assert.Equal(header, headerAfter);
            Assert.Equal(records.Where(r => !IsBadTickOfUaesc(r)), recordsAfter);
        }
        Assert.Equal(untouched, File.ReadAllBytes(files[1]));
        // Each rewritten file keeps, beside it, the newest offset it had seen.
        Assert.Equal([files[0], files[0] + ".seen", files[1], files[2], files[2] + ".seen"], Directory.GetFiles(settings.Directory).Order());

        // Its ticks before the bad one are held again, and the ticks after it are no longer late.
        Assert.Equal(early, Reopened(settings, "UAESC").Select(t => t.Timestamp));
        Assert.Equal(c, Reopened(settings, "C"));
        using (var history = new TickHistory(settings, Topic))
        {
            history.Open(2);
            history.Append(2, 1_000, "UAESC", Start.AddSeconds(30), 50);
            Assert.Equal(11, history.Count("UAESC"));
        }

        var again = Run("history", "drop", "--symbol", "UAESC", "--from", "1924992000000", "--history-dir", settings.Directory);
        Assert.True(again.Code == 0, again.Error);
        Assert.Equal($"no ticks of UAESC at or after 2031-01-01T00:00:00Z in the 3 history files of topic ticks in {settings.Directory}: nothing removed",
            again.Out.Trim());
    }

    [Fact]
    public void Drop_refuses_while_a_worker_has_a_history_file_open_and_changes_nothing()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        WriteHistory(settings);
        var first = Path.Combine(settings.Directory, $"{Topic}-0.ticks");
        var bytes = File.ReadAllBytes(first);
        using var running = new TickHistory(settings, Topic);
        running.Open(2);

        AssertOneLineError(Run("history", "drop", "--symbol", "UAESC", "--from", "2031-01-01", "--history-dir", settings.Directory),
            $"{Path.Combine(settings.Directory, $"{Topic}-2.ticks")} is in use (stop the worker first)");
        Assert.Equal(bytes, File.ReadAllBytes(first));
        Assert.Equal(Bad, running.Newest);
    }

    [Fact]
    public void Drop_with_a_bad_option_or_directory_is_a_one_line_error_naming_it()
    {
        using var dir = new TempDirectory();
        var history = dir.File("history");
        Directory.CreateDirectory(history);
        AssertOneLineError(Run("history", "drop", "--symbol", "UAESC", "--from", "yesterday", "--history-dir", history), "--from: timestamp 'yesterday' is not ISO-8601");
        AssertOneLineError(Run("history", "drop", "--symbol", "UAESC", "--from", "2031.5", "--history-dir", history), "--from: timestamp '2031.5' is a number");
        AssertOneLineError(Run("history", "drop", "--symbol", "UAESC", "--history-dir", history), "--from");
        AssertOneLineError(Run("history", "drop", "--symbol", "", "--from", "2031-01-01", "--history-dir", history), "--symbol: symbol is empty");
        AssertOneLineError(Run("history", "drop", "--symbol", "X", "--from", "2031-01-01", "--history-dir", dir.File("nowhere")), "does not exist");
        AssertOneLineError(Run("history", "drop", "--symbol", "X", "--from", "2031-01-01", "--history-dir", history, "stray"), "unrecognized argument 'stray'");

        var none = Run("history", "drop", "--symbol", "X", "--from", "2031-01-01", $"--History:Directory={history}");
        Assert.True(none.Code == 0, none.Error);
        Assert.Equal($"no history files of topic ticks in {history}: nothing removed", none.Out.Trim());
    }

    [Fact]
    public void List_shows_per_symbol_the_ticks_recorded_with_their_first_and_last_time()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        WriteHistory(settings);

        var all = Run("history", "list", "--history-dir", settings.Directory, "--Kafka:Topic=ticks");
        Assert.True(all.Code == 0, all.Error);
        var lines = all.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"history of topic ticks in {settings.Directory}: 4 symbols, 72 ticks", lines[0]);
        Assert.Equal(["B", "C", "UAESC", "日経225"], lines[2..].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        Assert.Equal(["UAESC", "12", "2030-12-31T23:00:00Z", "2031-01-01T00:01:00Z"], lines[4].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        var one = Run("history", "list", "--symbol", "C", "--history-dir", settings.Directory);
        Assert.Equal(["C", "20", "2030-12-31T23:00:00Z", "2030-12-31T23:00:19Z"], one.Out.Split(Environment.NewLine)[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"no ticks of Z recorded for topic ticks in {settings.Directory}", Run("history", "list", "--symbol", "Z", "--history-dir", settings.Directory).Out.Trim());
    }

    [Fact]
    public void History_help_describes_list_and_drop()
    {
        var help = Run("history", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("stamped too far ahead", help.Out);
        Assert.Contains("list", help.Out);
        Assert.Contains("drop", help.Out);

        var drop = Run("history", "drop", "--help");
        Assert.Equal(0, drop.Code);
        Assert.All(["--symbol", "--from", "--history-dir", "--topic", "Stop the worker first"], s => Assert.Contains(s, drop.Out));
    }
}
