using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>The Aspire dashboard in Debian's headless chromium, driven by Playwright.</summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DashboardPage(IPlaywright playwright, IBrowser browser, IPage page, Uri url)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        Url = url;
    }

    public IPage Page { get; }

    public Uri Url { get; }

    /// <summary>Opens <paramref name="url"/> (the dashboard, or its login URL) in a new headless chromium.</summary>
    public static async Task<DashboardPage> OpenAsync(Uri url)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: eng/test-prerequisites.sh installs Debian's chromium.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 900 } });
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(url.ToString());
        return new DashboardPage(playwright, browser, page, url);
    }

    /// <summary>Opens the dashboard of a running app, once its resource grid shows the worker.</summary>
    public static async Task<DashboardPage> OpenAsync(RunningApp app)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var dashboard = await OpenAsync(await app.App.GetDashboardUrlAsync(cancellation.Token));
        // The grid fills once the page's live connection to the resource service is up; on a loaded machine that
        // first connection can stall, and a reload is what a person would do.
        for (var attempt = 1; !await dashboard.Row("worker").IsVisibleAsync(); attempt++)
        {
            try
            {
                await dashboard.Row("worker").WaitForAsync(new() { Timeout = 20_000 });
            }
            catch (TimeoutException) when (attempt < 3)
            {
                await dashboard.Page.ReloadAsync();
            }
        }

        return dashboard;
    }

    public ILocator Row(string resource) =>
        Page.GetByRole(AriaRole.Row).Filter(new() { Has = Page.GetByText(resource, new() { Exact = true }) }).First;

    /// <summary>
    /// Asserts that the health column shows each resource running and none unhealthy. Aspire's own health checks must
    /// pass first: only then does a row without "Unhealthy" mean something, since it reads "Running (Unhealthy)" while
    /// they fail.
    /// </summary>
    public async Task AssertHealthyAsync(RunningApp app, IEnumerable<string> resources)
    {
        var names = resources.ToList();
        foreach (var resource in names)
        {
            await app.WaitForHealthyAsync(resource);
        }

        await Page.ReloadAsync();
        foreach (var resource in names)
        {
            await Assertions.Expect(Row(resource)).ToContainTextAsync("Running", new() { Timeout = 60_000 });
            await Assertions.Expect(Row(resource)).Not.ToContainTextAsync("Unhealthy");
        }
    }

    /// <summary>Saves the page under TestResults: tests leave the work tree alone; eng/refresh-docs.sh copies into docs/.</summary>
    public async Task ScreenshotAsync(string name)
    {
        var path = Path.Combine(RepositoryPaths.Root, "TestResults", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await Page.ScreenshotAsync(new() { Path = path });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
