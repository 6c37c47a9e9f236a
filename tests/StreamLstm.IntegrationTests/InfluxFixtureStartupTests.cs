using StreamLstm.IntegrationTests.Fixtures;

namespace StreamLstm.IntegrationTests;

/// <summary>Without a server to run, the fixture fails the tests with what to install; it never skips them.</summary>
public sealed class InfluxFixtureStartupTests
{
    [Fact]
    public async Task Without_docker_or_influxd_the_fixture_fails_and_says_how_to_install_influxd()
    {
        var fixture = new InfluxFixture(useDocker: () => false, findInfluxd: () => null);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(fixture.InitializeAsync);

        Assert.Contains("apt-get install -y influxdb", e.Message);
    }

    [Fact]
    public async Task An_influxd_that_exits_at_start_fails_the_fixture_with_its_exit_code()
    {
        var notInfluxd = new[] { "/bin/false", "/usr/bin/false" }.FirstOrDefault(File.Exists);
        Assert.True(notInfluxd is not null, "this test needs /bin/false");
        var fixture = new InfluxFixture(useDocker: () => false, findInfluxd: () => notInfluxd);

        var e = await Assert.ThrowsAnyAsync<Exception>(fixture.InitializeAsync);

        Assert.Contains("exited with code 1", e.Message);
    }
}
