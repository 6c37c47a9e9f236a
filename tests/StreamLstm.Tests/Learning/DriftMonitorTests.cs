using StreamLstm.Inference;
using StreamLstm.Learning;

namespace StreamLstm.Tests.Learning;

public class DriftMonitorTests
{
    private static ResolvedForecast Resolved(double modelError, double naiveError, bool covered) =>
        new(modelError, naiveError, covered, "v1", modelError, 100, 99, 101);

    [Fact]
    public void A_model_that_starts_losing_to_naive_raises_one_drift_signal_which_is_taken_once()
    {
        var monitor = new DriftMonitor(0.1, 100);
        var random = new Random(1);
        for (int i = 0; i < 3_000; i++)
        {
            double naive = random.NextDouble();
            monitor.Add(Resolved(naive * 0.9, naive, covered: random.NextDouble() < 0.8), 100);
        }
        Assert.Null(monitor.TakeSignal());
        for (int i = 0; i < 3_000 && monitor.Signals == 0; i++)
        {
            double naive = random.NextDouble();
            monitor.Add(Resolved(naive * 3, naive, covered: random.NextDouble() < 0.8), 100);
        }
        Assert.Equal(1, monitor.Signals);
        Assert.Contains("forecast error", monitor.TakeSignal());
        Assert.Null(monitor.TakeSignal());
    }

    [Fact]
    public void Coverage_that_falls_raises_a_drift_signal()
    {
        var monitor = new DriftMonitor(0.1, 100);
        var random = new Random(2);
        for (int i = 0; i < 3_000; i++) monitor.Add(Resolved(1, 1, covered: random.NextDouble() < 0.8), 100);
        Assert.Null(monitor.TakeSignal());
        for (int i = 0; i < 3_000 && monitor.Signals == 0; i++) monitor.Add(Resolved(1, 1, covered: random.NextDouble() < 0.3), 100);
        Assert.Contains("coverage", monitor.TakeSignal());
    }

    [Fact]
    public void Reset_forgets_the_evidence_gathered_so_far()
    {
        var monitor = new DriftMonitor(0.1, 100);
        for (int i = 0; i < 1_000; i++) monitor.Add(Resolved(0.5, 1, covered: true), 100);
        for (int i = 0; i < 40; i++) monitor.Add(Resolved(3, 1, covered: true), 100);
        monitor.Reset();
        // After the reset the worse errors are the new normal: no signal however long they last.
        for (int i = 0; i < 5_000; i++) monitor.Add(Resolved(3, 1, covered: true), 100);
        Assert.Equal(0, monitor.Signals);
    }
}
