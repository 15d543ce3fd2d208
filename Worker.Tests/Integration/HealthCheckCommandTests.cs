using Aspire.Hosting.Testing;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary><c>Worker healthcheck</c>, the probe a container runs without curl, against the running worker.</summary>
[Collection(nameof(AppCollection))]
public sealed class HealthCheckCommandTests(AppFixture fixture)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("ready")]
    [InlineData("alive")]
    public async Task A_healthy_probe_exits_0_and_prints_nothing(string probe)
    {
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(30), "before the health command");

        var result = await RunAsync(probe, "--url", fixture.App.GetEndpoint("worker", "probes").ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Output.Trim());
    }

    [Fact]
    public async Task An_unreachable_probe_exits_1_with_one_line_saying_why()
    {
        var result = await RunAsync("ready", "--url", "http://127.0.0.1:9", "--timeout", "1");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Output.Trim().Split('\n'));
        Assert.Contains("could not be reached", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_probe_exits_2_with_the_usage()
    {
        var result = await RunAsync("sideways");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: Worker healthcheck ready|alive", result.Output, StringComparison.Ordinal);
    }

    private static Task<ProcessRunner.Result> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [RepositoryPaths.WorkerAssembly, "healthcheck", .. args], RunTimeout);
}
