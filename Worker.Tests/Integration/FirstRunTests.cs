using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// The first run as a newcomer does it: `./eng/run.sh`, then the login URL it prints, in a browser. The dashboard
/// must open without the red "No trusted development certificate" error that reads as broken.
/// </summary>
public sealed partial class FirstRunTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task The_dashboard_of_eng_run_opens_without_a_certificate_error()
    {
        var output = new ConcurrentQueue<string>();
        using var run = Process.Start(new ProcessStartInfo("bash", ["eng/run.sh"]) { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true })!;
        run.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        run.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            var login = await LoginUrlAsync(run, output);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 900 } });
            await page.GotoAsync(login);
            await Assertions.Expect(page.GetByText("worker", new() { Exact = true }).First).ToBeVisibleAsync(new() { Timeout = 120_000 });
            // The error shows once the page has asked the resource service; give it that long.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var path = Path.Combine(RepositoryPaths.Root, "TestResults", "first-run.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await page.ScreenshotAsync(new() { Path = path });
            await Assertions.Expect(page.GetByText("No trusted development certificate")).ToHaveCountAsync(0);
        }
        finally
        {
            // As Ctrl+C in a terminal, and docker stop, do; the AppHost's orchestrator then stops the servers. Whatever
            // does not stop within the bound is killed, so a failed stop never hides the test's own failure.
            if (!run.HasExited)
            {
                foreach (var pid in ProcessTree.Descendants(run.Id).Prepend(run.Id).Where(p => ProcessTree.Name(p) is "bash" or "dotnet" or "AppHost"))
                {
                    await ProcessTree.SignalAsync(pid, "TERM");
                }
            }

            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await run.WaitForExitAsync(stopped.Token);
            }
            catch (OperationCanceledException)
            {
                run.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> LoginUrlAsync(Process run, ConcurrentQueue<string> output)
    {
        for (var deadline = DateTime.UtcNow + Within; DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            Assert.False(run.HasExited, $"./eng/run.sh exited with {(run.HasExited ? run.ExitCode : 0)}: {string.Join('\n', output.TakeLast(30))}");
            if (output.Select(line => LoginUrl().Match(line)).FirstOrDefault(m => m.Success) is { } match)
            {
                return match.Value;
            }
        }

        throw new TimeoutException($"./eng/run.sh printed no dashboard login URL within {Within.TotalMinutes} minutes: {string.Join('\n', output.TakeLast(30))}");
    }

    [GeneratedRegex(@"https?://localhost:\d+/login\?t=[0-9a-f]+")]
    private static partial Regex LoginUrl();
}
