using Microsoft.Playwright;

namespace Worker.Tests.Integration;

/// <summary>The Aspire dashboard of the running app, in Debian's headless chromium driven by Playwright.</summary>
[Collection(nameof(AppCollection))]
public sealed class DashboardTests(AppFixture fixture)
{
    private static readonly string[] Resources = ["worker", "rabbitmq", "redis", "postgres"];

    [Fact]
    public async Task The_dashboard_shows_the_resources_running_the_worker_healthy_and_one_trace_per_message()
    {
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "before opening the dashboard");
        await using var dashboard = await DashboardPage.OpenAsync(fixture);
        var page = dashboard.Page;

        await dashboard.AssertHealthyAsync(fixture, Resources);
        await Assertions.Expect(page.GetByText("No trusted development certificate")).ToHaveCountAsync(0);
        await dashboard.ScreenshotAsync("dashboard.png");

        // One message's trace: the sample publisher's publish, the broker's deliver, the worker's process, dedup, insert.
        await fixture.ExecuteCommandAsync("publisher", "resource-start");
        await page.GotoAsync(new Uri(dashboard.Url, "/traces").ToString());
        // A stored message's trace, once all its spans are in: the worker's four (deliver, process, dedup, insert). The
        // list shows a trace as soon as its first spans arrive; the rest follow with the next export.
        var trace = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "publisher (1)" }).Filter(new() { HasText = "worker (4)" }).First;
        await trace.WaitForAsync(new() { Timeout = 60_000 });
        // The list keeps changing while messages flow: open the trace by its id, not by a row that may have moved.
        var title = await trace.Locator("td[title*='Trace Id:']").GetAttributeAsync("title");
        var traceId = title!.Split("Trace Id:")[1].Trim();
        await page.GotoAsync(new Uri(dashboard.Url, $"/traces/detail/{traceId}").ToString());
        foreach (var span in new[] { "process message", "dedup", "insert" })
        {
            await Assertions.Expect(page.GetByText(span, new() { Exact = true }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }

        await dashboard.ScreenshotAsync("trace.png");
    }
}
