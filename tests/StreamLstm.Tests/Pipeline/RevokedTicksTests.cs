using System.Threading.Channels;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Telemetry;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;
using TorchSharp;

namespace StreamLstm.Tests.Pipeline;

public class RevokedTicksTests
{
    [Fact]
    public void Ticks_queued_before_their_partition_was_revoked_are_discarded_and_leave_its_history_alone()
    {
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var queue = Channel.CreateUnbounded<IngestedTick>();
        // Partition 1 was revoked and came back: its ownership is now epoch 1. Ticks of epoch 0 were still queued.
        for (int i = 0; i < 5; i++) queue.Writer.TryWrite(new IngestedTick(new Tick("OLD", start.AddMinutes(i), 10 + i), new SourcePosition(1, i, Epoch: 0)));
        for (int i = 0; i < 3; i++) queue.Writer.TryWrite(new IngestedTick(new Tick("KEPT", start.AddMinutes(i), 20 + i), new SourcePosition(0, i, Epoch: 0)));
        for (int i = 0; i < 2; i++) queue.Writer.TryWrite(new IngestedTick(new Tick("NEW", start.AddMinutes(i), 30 + i), new SourcePosition(1, 5 + i, Epoch: 1)));
        bool IsCurrent(SourcePosition p) => p.Epoch == (p.Partition == 1 ? 1 : 0);

        var buffer = new IngestedTick[StreamingPipeline.MaxBatch];
        int n = StreamingPipeline.TakeBatch(queue.Reader, buffer, IsCurrent, out int discarded);

        Assert.Equal(5, discarded);
        Assert.Equal(["KEPT", "KEPT", "KEPT", "NEW", "NEW"], buffer.Take(n).Select(t => t.Tick.Symbol));
        using var temp = new TempDirectory();
        using var history = new TickHistory(new HistorySettings { Directory = temp.Path }, "ticks");
        torch.manual_seed(1);
        var settings = new ModelSettings { HiddenSize = 4, Layers = 1, Horizons = 1, Warmup = 2 };
        using var model = new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(1)), new ModelMetadata { Version = "v1" });
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters(), history);
        processor.Process(buffer.AsSpan(0, n), new PointBatch());
        Assert.Equal(0, history.Count("OLD"));
        Assert.Equal(2, history.Count("NEW"));
        // The revoked ownership's offsets 0..4 never reached partition 1's history: it was opened at the new owner's first offset.
        Assert.Equal(6, history.LastOffset(1));
    }
}
