using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>The Aspire dashboard of the running app, in Debian's headless chromium driven by Playwright.</summary>
[Collection(nameof(AppCollection))]
public sealed class DashboardTests(AppFixture fixture)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly string[] Resources = ["worker", "rabbitmq", "redis", "postgres"];

    [Fact]
    public async Task The_dashboard_shows_the_resources_running_the_worker_healthy_and_one_trace_per_message()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: eng/test-prerequisites.sh installs Debian's chromium.");
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "before opening the dashboard");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var url = await fixture.App.GetDashboardUrlAsync(cancellation.Token);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 900 } });
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(url.ToString());
        // The grid fills once the page's live connection to the resource service is up; on a loaded machine that
        // first connection can stall, and a reload is what a person would do.
        for (var attempt = 1; !await Row(page, "worker").IsVisibleAsync(); attempt++)
        {
            try
            {
                await Row(page, "worker").WaitForAsync(new() { Timeout = 20_000 });
            }
            catch (TimeoutException) when (attempt < 3)
            {
                await page.ReloadAsync();
            }
        }

        foreach (var resource in Resources)
        {
            await Assertions.Expect(Row(page, resource)).ToContainTextAsync("Running", new() { Timeout = 60_000 });
        }

        // Aspire's own health check of the worker (readiness, 204) passes first; only then does a row without
        // "Unhealthy" mean something, since the dashboard shows "Running (Unhealthy)" while it fails.
        await fixture.WaitForHealthyAsync("worker");
        await page.ReloadAsync();
        await Assertions.Expect(Row(page, "worker")).ToContainTextAsync("Running", new() { Timeout = 60_000 });
        await Assertions.Expect(Row(page, "worker")).Not.ToContainTextAsync("Unhealthy");
        await Assertions.Expect(page.GetByText("No trusted development certificate")).ToHaveCountAsync(0);
        await ScreenshotAsync(page, "dashboard.png");

        // One message's trace: the sample publisher's publish, the broker's deliver, the worker's process, dedup, insert.
        await fixture.ExecuteCommandAsync("publisher", "resource-start");
        await page.GotoAsync(new Uri(url, "/traces").ToString());
        // A stored message's trace, once all its spans are in: the worker's four (deliver, process, dedup, insert). The
        // list shows a trace as soon as its first spans arrive; the rest follow with the next export.
        var trace = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "publisher (1)" }).Filter(new() { HasText = "worker (4)" }).First;
        await trace.WaitForAsync(new() { Timeout = 60_000 });
        // The list keeps changing while messages flow: open the trace by its id, not by a row that may have moved.
        var title = await trace.Locator("td[title*='Trace Id:']").GetAttributeAsync("title");
        var traceId = title!.Split("Trace Id:")[1].Trim();
        await page.GotoAsync(new Uri(url, $"/traces/detail/{traceId}").ToString());
        foreach (var span in new[] { "process message", "dedup", "insert" })
        {
            await Assertions.Expect(page.GetByText(span, new() { Exact = true }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }

        await ScreenshotAsync(page, "trace.png");
    }

    // Under TestResults: tests leave the work tree alone; eng/refresh-docs.sh copies these into docs/.
    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(RepositoryPaths.Root, "TestResults", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new() { Path = path });
    }

    private static ILocator Row(IPage page, string resource) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByText(resource, new() { Exact = true }) }).First;
}
