using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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
    public async Task A_probe_answering_500_exits_1_saying_so_and_a_slow_one_is_cut_at_the_timeout()
    {
        await using var server = await FakeProbeServer.StartAsync();

        var failing = await RunAsync("ready", "--url", server.Url, "--timeout", "5");
        var slow = await RunAsync("alive", "--url", server.Url, "--timeout", "1");

        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("answered 500, not 204", Assert.Single(failing.Output.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.Equal(1, slow.ExitCode);
        Assert.Contains("did not answer within 1 s", Assert.Single(slow.Output.Trim().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_probe_exits_2_with_the_usage()
    {
        var result = await RunAsync("sideways");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: Worker healthcheck ready|alive", result.Output, StringComparison.Ordinal);
    }

    // A probe endpoint that fails (ready: 500) or hangs (alive: 30 s), on a free local port.
    private sealed class FakeProbeServer : IAsyncDisposable
    {
        private readonly Microsoft.AspNetCore.Builder.WebApplication _app;

        private FakeProbeServer(Microsoft.AspNetCore.Builder.WebApplication app) => _app = app;

        public string Url => _app.Urls.First();

        public static async Task<FakeProbeServer> StartAsync()
        {
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapGet("/internal/ready", () => Microsoft.AspNetCore.Http.Results.StatusCode(500));
            app.MapGet("/internal/alive", async () => { await Task.Delay(TimeSpan.FromSeconds(30)); return Microsoft.AspNetCore.Http.Results.NoContent(); });
            await app.StartAsync();
            return new FakeProbeServer(app);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static Task<ProcessRunner.Result> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [RepositoryPaths.WorkerAssembly, "healthcheck", .. args], RunTimeout);
}
