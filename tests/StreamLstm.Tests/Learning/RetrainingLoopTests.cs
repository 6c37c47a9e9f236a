using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Inference;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Learning;

public class RetrainingLoopTests
{
    [Fact]
    public void The_same_history_trains_the_same_model_whatever_order_its_symbols_first_arrived_in()
    {
        using var dir = new TempDirectory();
        var bySymbol = SyntheticTicks.Generate(3, 600, seed: 12, phi: 0.5).GroupBy(t => t.Symbol).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();

        RetrainOutcome RetrainOn(string name, IEnumerable<IGrouping<string, StreamLstm.Ticks.Tick>> arrival)
        {
            Directory.CreateDirectory(dir.File($"{name}/store"));
            using var store = new ModelStore(dir.File($"{name}/store"));
            using var history = new TickHistory(new HistorySettings { Directory = dir.File($"{name}/history") }, "ticks");
            long offset = 0;
            foreach (var tick in arrival.SelectMany(g => g)) history.Append(0, offset++, tick.Symbol, tick.Timestamp, tick.Price);
            var learning = new LearningSettings { MinTicks = 1000, CoverageMin = 0, CoverageMax = 1 };
            var loop = new RetrainingLoop(learning, SmallModel.Training, SmallModel.Settings, new ServingSettings(), store, history, drift: null, _ => { }, NullLogger.Instance);
            return loop.Retrain("requested")!;
        }

        var inOrder = RetrainOn("a", bySymbol);
        var reversed = RetrainOn("b", Enumerable.Reverse(bySymbol));

        Assert.Equal(inOrder.Epochs, reversed.Epochs);
        Assert.Equal(inOrder.RelMae, reversed.RelMae);
        Assert.Equal(inOrder.Coverage80, reversed.Coverage80);
    }
}
