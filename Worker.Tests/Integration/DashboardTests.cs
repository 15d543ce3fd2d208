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
    public async Task The_dashboard_shows_the_four_resources_running_and_the_worker_healthy()
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

        // The dashboard shows "Running (Unhealthy)" while Aspire's readiness check on the worker fails.
        await Assertions.Expect(Row(page, "worker")).Not.ToContainTextAsync("Unhealthy", new() { Timeout = 30_000 });

        var screenshot = Path.Combine(RepositoryPaths.Root, "docs", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "The screenshot is suspiciously small.");
    }

    private static ILocator Row(IPage page, string resource) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByText(resource, new() { Exact = true }) }).First;
}
