using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// The first run as a newcomer does it: `./eng/run.sh`, then the login URL it prints, in a browser. Without a container
/// engine the servers run as local processes; with one (the tests' engine, through a mirror of the official images)
/// they run as containers, and a SIGTERM leaves no container, network or volume behind.
/// </summary>
public sealed partial class FirstRunTests
{
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task Without_an_engine_eng_run_runs_the_servers_as_processes_and_its_dashboard_opens_without_a_certificate_error()
    {
        var defaultEngine = await ProcessRunner.RunAsync("docker", ["info"], TimeSpan.FromSeconds(30), new Dictionary<string, string?> { ["DOCKER_HOST"] = null });
        Skip.If(defaultEngine.ExitCode == 0, "This machine's default container engine answers, so no run here is without an engine.");

        await using var run = new RunScript(new Dictionary<string, string?> { ["DOCKER_HOST"] = null });
        var login = (await run.WaitForLineAsync(LoginUrl(), Within)).Value;
        await run.WaitForLineAsync(Mode("Processes"), Within);
        await using var dashboard = await DashboardPage.OpenAsync(new Uri(login));
        await Assertions.Expect(dashboard.Page.GetByText("worker", new() { Exact = true }).First).ToBeVisibleAsync(new() { Timeout = 120_000 });
        // The error shows once the page has asked the resource service; give it that long.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await dashboard.ScreenshotAsync("first-run.png");
        await Assertions.Expect(dashboard.Page.GetByText("No trusted development certificate")).ToHaveCountAsync(0);
        await run.WaitForReadyAsync(Within);
        await run.StopAsync();
    }

    [Fact]
    public async Task With_an_engine_and_a_mirror_eng_run_runs_the_servers_as_containers_to_ready_and_SIGTERM_leaves_nothing_behind()
    {
        await Docker.RequireAsync([.. StandInImages.All]);
        Assert.True((await ProcessRunner.RunAsync("dotnet", ["dev-certs", "https", "--check"], TimeSpan.FromMinutes(1))).ExitCode == 0,
            "No ASP.NET development certificate: eng/test.sh creates one, as eng/run.sh does.");
        var before = await Docker.InventoryAsync();

        await using (var run = new RunScript(new Dictionary<string, string?> { ["BackingServices__ContainerRegistry"] = StandInImages.Registry }))
        {
            await run.WaitForLineAsync(Mode("Containers"), Within);
            await run.WaitForReadyAsync(Within);
            var running = (await Docker.InventoryAsync()).Except(before).ToList();
            Assert.All(StandInImages.All, image => Assert.Contains(running, entry => entry.StartsWith("container ", StringComparison.Ordinal) && entry.EndsWith($"({image})", StringComparison.Ordinal)));
            await run.StopAsync();
        }

        IEnumerable<string> left = [];
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(1000))
        {
            left = (await Docker.InventoryAsync()).Except(before).ToList();
            if (!left.Any())
            {
                return;
            }
        }

        Assert.Fail($"Left behind a minute after the app stopped: {string.Join(", ", left)}");
    }

    private static Regex Mode(string mode) => new($"Backing services run as {mode}:");

    [GeneratedRegex(@"https?://localhost:\d+/login\?t=[0-9a-f]+")]
    private static partial Regex LoginUrl();
}
