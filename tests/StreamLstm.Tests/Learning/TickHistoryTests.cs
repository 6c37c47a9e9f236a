using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.Extensions.Logging;
using StreamLstm.Learning;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Learning;

public class TickHistoryTests
{
    private const string Topic = "ticks";
    private static readonly DateTime Start = new(2024, 3, 1, 9, 30, 0, DateTimeKind.Utc);

    private static HistorySettings Settings(TempDirectory dir, int maxTicks = 10_000, TimeSpan? maxAge = null) => new()
    {
        Directory = dir.File("history"),
        MaxTicksPerSymbol = maxTicks,
        MaxAge = maxAge ?? TimeSpan.FromDays(730),
    };

    private static Tick At(string symbol, int second, double price) => new(symbol, Start.AddSeconds(second), price);

    private long _offset;

    /// <summary>Appends with the next offset (offsets only matter to <see cref="TickHistory.Open"/>'s rewind).</summary>
    private void Append(TickHistory history, int partition, Tick tick) => history.Append(partition, _offset++, tick.Symbol, tick.Timestamp, tick.Price);

    private static List<Tick> Reopened(HistorySettings settings, params int[] partitions)
    {
        using var history = new TickHistory(settings, Topic);
        foreach (var partition in partitions) history.Open(partition);
        return history.Snapshot();
    }

    [Theory]
    [InlineData(99, 1.0, "history", "MaxTicksPerSymbol")]
    [InlineData(10_000_001, 1.0, "history", "MaxTicksPerSymbol")]
    [InlineData(100, 0.0, "history", "History:MaxAge")]
    [InlineData(100, -1.0, "history", "History:MaxAge")]
    [InlineData(100, 1.0, "", "History:Directory")]
    [InlineData(100, 1.0, "  ", "History:Directory")]
    public void Invalid_settings_are_refused_naming_the_setting(int maxTicks, double maxAgeDays, string directory, string named)
    {
        var settings = new HistorySettings { MaxTicksPerSymbol = maxTicks, MaxAge = TimeSpan.FromDays(maxAgeDays), Directory = directory };
        Assert.Contains(named, Assert.Throws<ValidationException>(settings.Validate).Message);
        Assert.Throws<ValidationException>(() => new TickHistory(settings, Topic));
    }

    [Fact]
    public void The_default_settings_are_valid()
    {
        var settings = new HistorySettings();
        settings.Validate();
        Assert.Equal(("history", 10_000, TimeSpan.FromDays(730)), (settings.Directory, settings.MaxTicksPerSymbol, settings.MaxAge));
    }

    [Fact]
    public void Ticks_survive_a_restart_per_symbol_whatever_the_symbol_spells()
    {
        using var dir = new TempDirectory();
        string[] symbols = ["EUR/USD", "A B", "a,b=c", "^GSPC", "日経225", "ES=F", "📈 up", new string('€', 64)];
        var expected = new List<Tick>();
        using (var history = new TickHistory(Settings(dir), Topic))
        {
            for (int i = 0; i < 40; i++)
            {
                var symbol = symbols[i % symbols.Length];
                var tick = At(symbol, i / 2, 100 + i * 0.25);
                Append(history, partition: i % 2, tick);
                expected.Add(tick);
            }
            history.Flush();
            Assert.Equal(40, history.Ticks);
            Assert.Equal(symbols.Length, history.Symbols);
            Assert.Equal(Start.AddSeconds(19), history.Newest);
        }

        // Partition 0 loads first, so its symbols come first.
        var reloaded = Reopened(Settings(dir), 0, 1);
        Assert.Equal(expected.OrderBy(t => Array.IndexOf(symbols, t.Symbol) % 2).ThenBy(t => Array.IndexOf(symbols, t.Symbol)).ToList(), reloaded);
        Assert.All(reloaded, t => Assert.Equal(DateTimeKind.Utc, t.Timestamp.Kind));
    }

    [Fact]
    public void Volumes_and_quotes_survive_a_restart_and_a_rewind_as_they_were_appended()
    {
        using var dir = new TempDirectory();
        var expected = new List<Tick>();
        using (var history = new TickHistory(Settings(dir), Topic))
        {
            for (int i = 0; i < 40; i++)
            {
                var plain = At(i % 2 == 0 ? "Q" : "P", i, 100 + i * 0.25);
                // Q carries a quote, with a volume on every third tick; P only a volume, from its 10th tick on.
                var tick = plain.Symbol == "Q"
                    ? plain with { Bid = plain.Price - 0.01, Ask = plain.Price + 0.02, Volume = i % 3 == 0 ? i * 10.0 : null }
                    : plain with { Volume = i >= 20 ? 5.0 + i : null };
                history.Append(0, _offset++, tick);
                expected.Add(tick);
            }
            history.Flush();
        }
        Assert.Equal(expected.OrderBy(t => t.Symbol != "Q").ToList(), Reopened(Settings(dir), 0));

        // A rewind rewrites the file from memory: what it keeps keeps its quotes.
        using (var history = new TickHistory(Settings(dir), Topic))
        {
            history.Open(0, fromOffset: 30);
        }
        Assert.Equal(expected.Take(30).OrderBy(t => t.Symbol != "Q").ToList(), Reopened(Settings(dir), 0));
    }

    [Fact]
    public void An_invalid_volume_or_quote_is_refused()
    {
        using var dir = new TempDirectory();
        using var history = new TickHistory(Settings(dir), Topic);
        Assert.Throws<ArgumentOutOfRangeException>(() => history.Append(0, 0, At("X", 1, 2) with { Volume = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => history.Append(0, 0, At("X", 1, 2) with { Bid = 3, Ask = 2 }));
        Assert.Equal(0, history.Ticks);
    }

    [Fact]
    public void A_file_of_format_version_2_is_read_and_rewritten_in_the_current_format()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        Directory.CreateDirectory(settings.Directory);
        var old = new[] { At("EUR/USD", 1, 1.1), At("日経225", 1, 30000), At("EUR/USD", 2, 1.2) };
        string path;
        using (var history = new TickHistory(settings, Topic))
            path = history.FilePath(0);
        // Version 2's records: [u16 n][symbol][i64 offset][i64 time][f64 price][u32 CRC-32C], no flags.
        using (var file = new BinaryWriter(File.Create(path)))
        {
            file.Write("SLTH"u8);
            file.Write(2u);
            long offset = 0;
            foreach (var tick in old)
            {
                var record = new MemoryStream();
                using (var writer = new BinaryWriter(record, Encoding.UTF8, leaveOpen: true))
                {
                    var utf8 = Encoding.UTF8.GetBytes(tick.Symbol);
                    writer.Write((ushort)utf8.Length);
                    writer.Write(utf8);
                    writer.Write(offset++);
                    writer.Write(tick.Timestamp.Ticks);
                    writer.Write(tick.Price);
                }
                uint crc = ~0u;
                foreach (var b in record.ToArray()) crc = System.Numerics.BitOperations.Crc32C(crc, b);
                file.Write(record.ToArray());
                file.Write(~crc);
            }
        }

        var logger = new ListLoggerFactory();
        var quoted = At("EUR/USD", 3, 1.3) with { Bid = 1.29, Ask = 1.31, Volume = 7 };
        using (var history = new TickHistory(settings, Topic, logger))
        {
            history.Open(0);
            Assert.Equal(old.OrderBy(t => t.Symbol != "EUR/USD").ToList(), history.Snapshot());
            Assert.Contains(logger.Entries, e => e.Message.Contains("rewritten from format version 2 to 3"));
            history.Append(0, 3, quoted);
        }
        using (var file = File.OpenRead(path))
        {
            var header = new byte[8];
            file.ReadExactly(header);
            Assert.Equal(3u, BitConverter.ToUInt32(header, 4));
        }
        var quiet = new ListLoggerFactory();
        using (var history = new TickHistory(settings, Topic, quiet))
        {
            history.Open(0);
            Assert.Equal(old.Append(quoted).OrderBy(t => t.Symbol != "EUR/USD").ToList(), history.Snapshot());
        }
        Assert.DoesNotContain(quiet.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void Ticks_with_equal_timestamps_are_all_kept_and_older_ones_ignored()
    {
        using var dir = new TempDirectory();
        using var history = new TickHistory(Settings(dir), Topic);
        Append(history, 0, At("X", 1, 10));
        Append(history, 0, At("X", 1, 11));
        Append(history, 0, At("X", 0, 12));
        Append(history, 0, At("X", 2, 13));
        Assert.Equal([At("X", 1, 10), At("X", 1, 11), At("X", 2, 13)], history.Snapshot());
    }

    [Fact]
    public void Each_symbol_keeps_at_most_its_newest_MaxTicksPerSymbol_ticks_also_after_a_restart()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir, maxTicks: 100);
        using (var history = new TickHistory(settings, Topic))
        {
            for (int i = 0; i < 250; i++)
            {
                Append(history, 0, At("BIG", i, 1 + i));
                if (i < 30) Append(history, 0, At("SMALL", i, 1 + i));
            }
            Assert.Equal(100, history.Count("BIG"));
            Assert.Equal(30, history.Count("SMALL"));
            Assert.Equal(130, history.Ticks);
            Assert.Equal(Enumerable.Range(150, 100).Select(i => At("BIG", i, 1 + i)), history.Recent("BIG", 1000));
        }
        var reloaded = Reopened(settings, 0);
        Assert.Equal(Enumerable.Range(150, 100).Select(i => At("BIG", i, 1 + i)), reloaded.Where(t => t.Symbol == "BIG"));
        Assert.Equal(30, reloaded.Count(t => t.Symbol == "SMALL"));
    }

    [Fact]
    public void Ticks_older_than_MaxAge_before_their_symbols_newest_tick_are_dropped_also_after_a_restart()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir, maxAge: TimeSpan.FromHours(1));
        using (var history = new TickHistory(settings, Topic))
        {
            Append(history, 0, At("X", 0, 1));
            Append(history, 0, At("X", 1800, 2));
            Append(history, 0, At("X", 3600, 3));
            Append(history, 0, At("X", 5399, 4));
            history.Flush();

            // A tick exactly MaxAge old is kept.
            Assert.Equal([At("X", 1800, 2), At("X", 3600, 3), At("X", 5399, 4)], history.Recent("X", 10));
            Assert.Equal(3, history.Count("X"));
            Assert.Equal(3, history.Ticks);
            Assert.Equal(Start.AddSeconds(5399), history.Newest);
        }
        Assert.Equal([At("X", 1800, 2), At("X", 3600, 3), At("X", 5399, 4)], Reopened(settings, 0));
    }

    [Fact]
    public void A_future_tick_of_one_symbol_does_not_trim_or_refuse_another_symbols_history()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        var future = new Tick("A", new DateTime(2099, 1, 1, 0, 0, 0, DateTimeKind.Utc), 5);
        List<Tick> Expected(int ticks) =>
            [future, .. Enumerable.Range(0, ticks).Select(i => At("B", i, 1 + i)), .. Enumerable.Range(0, ticks).Select(i => At("C", i, 1 + i))];
        using (var history = new TickHistory(settings, Topic))
        {
            for (int i = 0; i < 10; i++)
            {
                Append(history, 0, At("A", i, 1 + i));
                Append(history, 0, At("B", i, 1 + i));
                Append(history, 1, At("C", i, 1 + i));
            }
            Append(history, 0, future);
            for (int i = 10; i < 20; i++)
            {
                Append(history, 0, At("B", i, 1 + i));
                Append(history, 1, At("C", i, 1 + i));
            }
            history.Flush();

            Assert.Equal(Enumerable.Range(0, 20).Select(i => At("B", i, 1 + i)), history.Recent("B", 100));
            Assert.Equal(20, history.Count("C"));
            // A itself is bounded from its own newest tick, which leaves its ticks of 2024 far too old.
            Assert.Equal([future], history.Recent("A", 100));
            Assert.Equal(future.Timestamp, history.Newest);
            Assert.Equal(41, history.Ticks);
            Assert.Equal(Expected(20), history.Snapshot());
        }

        Assert.Equal(Expected(20), Reopened(settings, 0, 1));
        using (var history = new TickHistory(settings, Topic))
        {
            history.Open(0);
            history.Open(1);
            for (int i = 20; i < 30; i++)
            {
                Append(history, 0, At("B", i, 1 + i));
                Append(history, 1, At("C", i, 1 + i));
            }
            history.Flush();
            Assert.Equal(Expected(30), history.Snapshot());
            Assert.Equal(61, history.Ticks);
        }
        Assert.Equal(Expected(30), Reopened(settings, 0, 1));
    }

    [Fact]
    public void A_symbol_held_in_two_partitions_is_bounded_from_its_newest_tick_over_both_also_after_a_restart()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir, maxAge: TimeSpan.FromHours(1));
        using (var history = new TickHistory(settings, Topic))
        {
            Append(history, 0, At("X", 0, 1));
            Append(history, 0, At("X", 1800, 2));
            Append(history, 0, At("X", 3600, 3));
            Append(history, 0, At("GONE", 0, 4));
            Append(history, 1, At("X", 7200, 5));
            Append(history, 2, At("X", 3599, 6));   // new to partition 2, but too old for the symbol
            Append(history, 1, At("GONE", 7200, 7));
            Append(history, 1, At("Y", 0, 8));
            history.Flush();

            Assert.Equal([At("X", 3600, 3), At("X", 7200, 5)], history.Recent("X", 10));
            Assert.Equal([At("GONE", 7200, 7)], history.Recent("GONE", 10));
            Assert.Equal([At("Y", 0, 8)], history.Recent("Y", 10));
            Assert.Equal((4L, 3), (history.Ticks, history.Symbols));

            // What partition 0 holds is bounded from its own newest from now on.
            history.Close(1);
            Assert.Equal(0, history.Count("GONE"));
            Assert.Equal([At("X", 3600, 3)], history.Recent("X", 10));
            Assert.Equal((1L, 1), (history.Ticks, history.Symbols));
            Assert.Equal(Start.AddSeconds(3600), history.Newest);
        }
        Assert.Equal([At("X", 3600, 3), At("X", 7200, 5), At("GONE", 7200, 7), At("Y", 0, 8)], Reopened(settings, 0, 1));
        // Loading partition 0 alone measures age from the newest ticks it holds.
        Assert.Equal([At("X", 0, 1), At("X", 1800, 2), At("X", 3600, 3), At("GONE", 0, 4)], Reopened(settings, 0));
    }

    [Fact]
    public void Recent_returns_the_last_ticks_oldest_first()
    {
        using var dir = new TempDirectory();
        using var history = new TickHistory(Settings(dir), Topic);
        for (int i = 0; i < 10; i++) Append(history, 3, At("S", i, 1 + i));
        Assert.Equal([At("S", 7, 8), At("S", 8, 9), At("S", 9, 10)], history.Recent("S", 3));
        Assert.Equal(10, history.Recent("S", 50).Count);
        Assert.Empty(history.Recent("S", 0));
        Assert.Empty(history.Recent("unknown", 5));
        Assert.Equal(0, history.Count("unknown"));
        Assert.Equal([3], history.OpenPartitions);
    }

    [Fact]
    public void Closing_a_partition_drops_its_ticks_from_memory_and_opening_it_restores_them()
    {
        using var dir = new TempDirectory();
        using var history = new TickHistory(Settings(dir), Topic);
        for (int i = 0; i < 20; i++)
        {
            Append(history, 0, At("P0", i, 1 + i));
            Append(history, 1, At("P1", i + 100, 1 + i));
        }
        history.Close(1);
        Assert.Equal([0], history.OpenPartitions);
        Assert.Equal(0, history.Count("P1"));
        Assert.Equal((20L, 1), (history.Ticks, history.Symbols));
        Assert.Equal(Start.AddSeconds(19), history.Newest);
        Assert.True(File.Exists(history.FilePath(1)));

        history.Open(1);
        history.Open(1);
        Assert.Equal([0, 1], history.OpenPartitions);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => At("P1", i + 100, 1 + i)), history.Recent("P1", 20));
        Assert.Equal((40L, 2), (history.Ticks, history.Symbols));
        Assert.Equal(Start.AddSeconds(119), history.Newest);

        history.Close(0);
        history.Close(1);
        Assert.Null(history.Newest);
        Assert.Empty(history.Snapshot());
    }

    [Fact]
    public void A_torn_tail_is_truncated_with_a_warning_and_appending_continues_after_the_last_complete_record()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        var expected = new List<Tick>();
        string path;
        using (var history = new TickHistory(settings, Topic))
        {
            for (int i = 0; i < 60; i++)
            {
                var tick = At(i % 3 == 0 ? "A B" : "日経225", i, 50 + i);
                Append(history, 0, tick);
                expected.Add(tick);
            }
            path = history.FilePath(0);
        }
        var lastRecord = 2 + Encoding.UTF8.GetByteCount(expected[^1].Symbol) + 8 + 8 + 8 + 1 + 4;
        var garbage = Enumerable.Range(0, 37).Select(i => (byte)(0xA5 ^ i)).ToArray();
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
            file.Seek(0, SeekOrigin.End);
            file.Write(garbage);
        }
        expected.RemoveAt(expected.Count - 1);

        var logger = new ListLoggerFactory();
        using (var history = new TickHistory(settings, Topic, logger))
        {
            history.Open(0);
            Assert.Equal(expected.OrderBy(t => t.Symbol != "A B").ToList(), history.Snapshot());
            var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
            Assert.Contains($"{lastRecord - 5 + garbage.Length} bytes", warning.Message);

            var more = At("A B", 100, 1.5);
            Append(history, 0, more);
            expected.Add(more);
        }

        var quiet = new ListLoggerFactory();
        using (var history = new TickHistory(settings, Topic, quiet))
        {
            history.Open(0);
            Assert.Equal(expected.OrderBy(t => t.Symbol != "A B").ToList(), history.Snapshot());
        }
        Assert.DoesNotContain(quiet.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Theory]
    [InlineData("not a tick history at all", "not a tick history file")]
    [InlineData("SLT", "shorter than the header")]
    [InlineData("SLTH\u0001\0\0\0", "format version 1")]
    public void A_file_without_a_valid_header_is_set_aside_and_the_history_starts_empty(string content, string reason)
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        Directory.CreateDirectory(settings.Directory);
        var logger = new ListLoggerFactory();
        using (var history = new TickHistory(settings, Topic, logger))
        {
            File.WriteAllText(history.FilePath(2), content);
            history.Open(2);
            Assert.Equal(0, history.Ticks);
            var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
            Assert.Contains(reason, warning.Message);
            var aside = Assert.Single(Directory.GetFiles(settings.Directory, $"{Topic}-2.ticks.corrupt-*"));
            Assert.Equal(content, File.ReadAllText(aside));
            Append(history, 2, At("X", 1, 2));
        }
        Assert.Equal([At("X", 1, 2)], Reopened(settings, 2));
    }

    [Fact]
    public void A_leftover_compaction_file_from_a_crash_is_deleted_and_the_old_file_kept()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        string path;
        using (var history = new TickHistory(settings, Topic))
        {
            Append(history, 0, At("X", 1, 2));
            path = history.FilePath(0);
        }
        File.WriteAllText(path + ".compacting", "half written");
        Assert.Equal([At("X", 1, 2)], Reopened(settings, 0));
        Assert.False(File.Exists(path + ".compacting"));
    }

    [Fact]
    public void A_crash_between_the_renames_of_a_compaction_leaves_the_old_file_which_is_restored()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        string path;
        using (var history = new TickHistory(settings, Topic))
        {
            Append(history, 0, At("X", 1, 2));
            path = history.FilePath(0);
        }
        File.Move(path, path + ".old");
        File.WriteAllText(path + ".compacting", "complete or not, never trusted");
        Assert.Equal([At("X", 1, 2)], Reopened(settings, 0));
        Assert.False(File.Exists(path + ".old"));
        Assert.False(File.Exists(path + ".compacting"));
    }

    [Fact]
    public async Task Compaction_keeps_exactly_the_live_ticks_including_those_appended_while_it_runs_and_shrinks_the_file()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir, maxTicks: 100);
        string[] symbols = ["EUR/USD", "日経 225", "a,b=c"];
        var all = new List<Tick>();
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var resume = new SemaphoreSlim(0);
        int second = 0;
        void AppendRound(TickHistory history)
        {
            foreach (var symbol in symbols)
            {
                var tick = At(symbol, second, 1 + second % 97);
                Append(history, 0, tick);
                all.Add(tick);
            }
            second++;
        }

        using (var history = new TickHistory(settings, Topic))
        {
            history.CompactionWritten = () =>
            {
                written.SetResult();
                resume.Wait();
            };
            while (history.CompactionTask(0).IsCompleted)
            {
                Assert.True(second < 10_000, "compaction never started");
                AppendRound(history);
                if (second % 100 == 0) history.Flush();
            }
            await written.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // Appended after the live ticks were written, before the old file's tail is copied.
            for (int i = 0; i < 30; i++) AppendRound(history);
            history.Flush();
            long before = new FileInfo(history.FilePath(0)).Length;

            resume.Release();
            await history.CompactionTask(0).WaitAsync(TimeSpan.FromSeconds(30));
            // Appended after the tail was copied, before the new file replaces the old one.
            for (int i = 0; i < 10; i++) AppendRound(history);
            history.Flush();

            Assert.True(history.CompactionTask(0).IsCompleted);
            long after = new FileInfo(history.FilePath(0)).Length;
            Assert.True(after < before / 10, $"file {before} -> {after} bytes");
            Assert.False(File.Exists(history.FilePath(0) + ".compacting"));

            for (int i = 0; i < 5; i++) AppendRound(history);
        }

        var expected = symbols.SelectMany(s => all.Where(t => t.Symbol == s).TakeLast(100)).ToList();
        Assert.Equal(expected, Reopened(settings, 0));
        Assert.Equal([Path.Combine(settings.Directory, $"{Topic}-0.ticks")], Directory.GetFiles(settings.Directory));
    }

    [Fact]
    public async Task Snapshot_while_another_thread_appends_returns_each_symbol_whole_and_in_time_order()
    {
        using var dir = new TempDirectory();
        using var history = new TickHistory(Settings(dir, maxTicks: 500), Topic);
        const int symbolCount = 100, perSymbol = 2_000;
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < perSymbol; i++)
            {
                for (int s = 0; s < symbolCount; s++) history.Append(s % 4, (long)i * symbolCount + s, $"S{s}", Start.AddSeconds(i), 1 + (i + s) % 50);
                if (i % 10 == 0) history.Flush();
            }
            history.Flush();
        });

        int snapshots = 0;
        while (!writer.IsCompleted || snapshots == 0)
        {
            var ticks = history.Snapshot();
            _ = (history.Ticks, history.Symbols, history.Newest);
            var seen = new HashSet<string>();
            for (int i = 0; i < ticks.Count; i++)
            {
                bool continues = i > 0 && ticks[i - 1].Symbol == ticks[i].Symbol;
                if (continues) Assert.True(ticks[i - 1].Timestamp <= ticks[i].Timestamp);
                else Assert.True(seen.Add(ticks[i].Symbol), $"{ticks[i].Symbol} appears twice");
            }
            Assert.All(ticks.CountBy(t => t.Symbol), c => Assert.InRange(c.Value, 1, 500));
            snapshots++;
        }
        await writer;

        var final = history.Snapshot();
        Assert.Equal(symbolCount * 500, final.Count);
        Assert.Equal(Enumerable.Range(0, symbolCount).Select(s => $"S{s}"), final.Select(t => t.Symbol).Distinct());
        Assert.Equal(Enumerable.Range(perSymbol - 500, 500).Select(i => Start.AddSeconds(i)), final.Where(t => t.Symbol == "S7").Select(t => t.Timestamp));
    }

    [Fact]
    public void Opening_at_an_offset_drops_the_ticks_recorded_from_it_on_in_memory_and_on_disk()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        using (var history = new TickHistory(settings, Topic))
        {
            // Offsets 0..29 of partition 0: A at even offsets, B at odd ones.
            for (int i = 0; i < 30; i++) history.Append(0, i, i % 2 == 0 ? "A" : "B", Start.AddSeconds(i), 100 + i);
        }
        using (var history = new TickHistory(settings, Topic))
        {
            // The consumer resumes at offset 20: ticks 20..29 come again and must not be held twice.
            history.Open(0, fromOffset: 20);
            Assert.True(history.IsOpen(0));
            Assert.Equal(20, history.Ticks);
            Assert.Equal(Start.AddSeconds(18), history.Recent("A", 1)[0].Timestamp);
            Assert.Equal(Start.AddSeconds(19), history.Recent("B", 1)[0].Timestamp);
            for (int i = 20; i < 25; i++) history.Append(0, i, i % 2 == 0 ? "A" : "B", Start.AddSeconds(i), 100 + i);
        }
        var again = Reopened(settings, 0);
        Assert.Equal(Enumerable.Range(0, 25).Where(i => i % 2 == 0).Concat(Enumerable.Range(0, 25).Where(i => i % 2 == 1)).Select(i => 100.0 + i),
            again.Select(t => t.Price));
    }

    [Fact]
    public void Appended_counts_every_tick_added_for_a_symbol_and_recent_reads_it_at_the_same_instant()
    {
        using var dir = new TempDirectory();
        using var history = new TickHistory(Settings(dir, maxTicks: 100), Topic);
        for (int i = 0; i < 150; i++) Append(history, 0, At("X", i, 1 + i));
        Assert.Equal(150, history.Appended("X"));   // the ring holds 100, the counter keeps counting
        Assert.Equal(0, history.Appended("unknown"));
        var last = history.Recent("X", 10, out long appended);
        Assert.Equal(150, appended);
        Assert.Equal(Enumerable.Range(140, 10).Select(i => 1.0 + i), last.Select(t => t.Price));
    }
}
