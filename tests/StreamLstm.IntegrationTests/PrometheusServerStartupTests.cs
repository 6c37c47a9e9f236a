using StreamLstm.IntegrationTests.Fixtures;

namespace StreamLstm.IntegrationTests;

/// <summary>Without a prometheus binary the tests that need one fail with what to install; they never skip.</summary>
public sealed class PrometheusServerStartupTests
{
    [Fact]
    public async Task Without_prometheus_starting_fails_and_says_how_to_install_it()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PrometheusServer.StartAsync("127.0.0.1:9", [], findExecutable: () => null));

        Assert.Contains("apt-get install -y prometheus", e.Message);
        Assert.Contains(PrometheusServer.ExecutableVariable, e.Message);
    }

    [Fact]
    public async Task A_prometheus_that_exits_at_start_fails_with_its_exit_code()
    {
        var notPrometheus = new[] { "/bin/false", "/usr/bin/false" }.FirstOrDefault(File.Exists);
        Assert.True(notPrometheus is not null, "this test needs /bin/false");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PrometheusServer.StartAsync("127.0.0.1:9", [], findExecutable: () => notPrometheus));

        Assert.Contains("exited with code 1", e.Message);
    }
}
