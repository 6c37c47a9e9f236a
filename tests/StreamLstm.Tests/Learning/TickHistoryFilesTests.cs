using StreamLstm.Learning;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Learning;

public class TickHistoryFilesTests
{
    private const string Topic = "ticks";
    private static readonly DateTime Start = new(2024, 3, 1, 9, 30, 0, DateTimeKind.Utc);

    private static HistorySettings Settings(TempDirectory dir) => new() { Directory = dir.File("history") };

    /// <summary>A at seconds 0..9 and a tick stamped a day ahead, B at seconds 0..9, all in partition 0.</summary>
    private static string WriteHistory(HistorySettings settings)
    {
        using var history = new TickHistory(settings, Topic);
        for (int i = 0; i < 10; i++)
        {
            history.Append(0, 2 * i, "A", Start.AddSeconds(i), 1 + i);
            history.Append(0, 2 * i + 1, "B", Start.AddSeconds(i), 1 + i);
        }
        history.Append(0, 20, "A", Start.AddDays(1), 99);
        return history.FilePath(0);
    }

    private static List<Tick> Reopened(HistorySettings settings)
    {
        using var history = new TickHistory(settings, Topic);
        history.Open(0);
        return history.Snapshot();
    }

    private static IEnumerable<Tick> Series(string symbol, int count) => Enumerable.Range(0, count).Select(i => new Tick(symbol, Start.AddSeconds(i), 1 + i));

    [Fact]
    public void Dropping_keeps_a_torn_tail_unchanged_for_the_loader_to_cut_off()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        var path = WriteHistory(settings);
        byte[] tail = [0x11, 0x00, 0x41, 0x42, 0x43];
        using (var file = new FileStream(path, FileMode.Append)) file.Write(tail);

        var removed = TickHistoryFiles.DropTicks(settings.Directory, Topic, "A", Start.AddHours(1));

        Assert.Equal([(Path.Combine(settings.Directory, "ticks-0.ticks"), 1L)], removed);
        Assert.Equal(tail, File.ReadAllBytes(path)[^tail.Length..]);
        Assert.Equal([.. Series("A", 10), .. Series("B", 10)], Reopened(settings));
        Assert.Equal(0, TickHistoryFiles.DropTicks(settings.Directory, Topic, "A", Start.AddHours(1)).Single().Removed);
    }

    [Fact]
    public void Dropping_restores_a_file_a_crash_left_set_aside_in_the_middle_of_a_compaction()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        var path = WriteHistory(settings);
        File.Move(path, path + ".old");
        File.WriteAllText(path + ".compacting", "half written");

        Assert.Equal([path], TickHistoryFiles.Find(settings.Directory, Topic).Select(Path.GetFullPath));
        var removed = TickHistoryFiles.DropTicks(settings.Directory, Topic, "A", Start.AddSeconds(5));

        Assert.Equal(6, removed.Single().Removed);
        // Beside the file, what it had seen: the removed ticks are not missing ones to read back from the topic.
        Assert.Equal([path, path + ".seen"], Directory.GetFiles(settings.Directory).Order());
        Assert.Equal([.. Series("A", 5), .. Series("B", 10)], Reopened(settings));
    }

    [Fact]
    public void Dropping_refuses_a_file_that_is_not_a_history_and_changes_no_file()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        var path = WriteHistory(settings);
        var bytes = File.ReadAllBytes(path);
        var other = Path.Combine(settings.Directory, "ticks-7.ticks");
        File.WriteAllText(other, "not a history");

        var error = Assert.Throws<InvalidDataException>(() => TickHistoryFiles.DropTicks(settings.Directory, Topic, "A", Start));
        Assert.Contains("ticks-7.ticks is not a tick history file", error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Find_lists_only_the_topics_files_by_partition()
    {
        using var dir = new TempDirectory();
        foreach (var name in new[] { "ticks-10.ticks", "ticks-2.ticks", "ticks-02.ticks", "ticks-x.ticks", "ticks.dlq-1.ticks", "ticks-3.ticks.corrupt-20240101T000000000Z", "ticks-4.ticks.old", "other-1.ticks" })
            File.WriteAllText(dir.File(name), "");
        Assert.Equal(["2", "4", "10"], TickHistoryFiles.Find(dir.Path, Topic).Select(f => Path.GetFileName(f)["ticks-".Length..^".ticks".Length]));
        Assert.Empty(TickHistoryFiles.Find(dir.File("missing"), Topic));
    }
}
