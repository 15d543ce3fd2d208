using System.Diagnostics;
using Harness;

namespace Bench;

/// <summary>P5: wall-clock times of the README's two commands.</summary>
public static class Timings
{
    public static async Task<double> RunCommandToReadyAsync()
    {
        using var run = Process.Start(new ProcessStartInfo("bash", ["eng/run.sh"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        run.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        run.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            while (clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                if (run.HasExited)
                {
                    throw new InvalidOperationException($"./eng/run.sh exited with {run.ExitCode}: {string.Join('\n', output.TakeLast(30))}");
                }

                try
                {
                    using var response = await http.GetAsync("http://localhost:8000/internal/ready");
                    if ((int)response.StatusCode == 204)
                    {
                        return clock.Elapsed.TotalSeconds;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                await Task.Delay(250);
            }

            throw new TimeoutException("./eng/run.sh was not ready within 5 minutes.");
        }
        finally
        {
            // As docker stop and Kubernetes do; the AppHost's orchestrator then stops the servers.
            foreach (var pid in ProcessTree.Descendants(run.Id).Prepend(run.Id).Where(p => ProcessTree.Name(p) is "bash" or "dotnet" or "AppHost"))
            {
                Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            }

            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
    }

    public static async Task<double> TestSuiteAsync()
    {
        var clock = Stopwatch.StartNew();
        using var test = Process.Start(new ProcessStartInfo("bash", ["eng/test.sh"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        test.BeginOutputReadLine();
        test.BeginErrorReadLine();
        try
        {
            // Twice the suite's usual time: past that it hangs, and the bench goes on without this figure.
            await test.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(45));
        }
        catch (TimeoutException)
        {
            // A suite left running would hold its servers and the cores beyond the bench. bash runs its EXIT trap (which
            // stops the tests' engine, started outside this tree) only once its foreground command ends, so the
            // descendants are asked to end first, and only what is left after that is killed.
            foreach (var pid in ProcessTree.Descendants(test.Id))
            {
                Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            }

            try
            {
                await test.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            }
            catch (TimeoutException)
            {
                test.Kill(entireProcessTree: true);
            }

            throw;
        }

        return test.ExitCode == 0 ? clock.Elapsed.TotalSeconds : throw new InvalidOperationException("./eng/test.sh failed.");
    }
}
