using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// The README's run command, <c>./eng/run.sh</c>, as a user starts it in a terminal, with the environment a test gives
/// it; its output is kept, and disposing stops it with SIGTERM as Ctrl+C and docker stop do.
/// </summary>
public sealed class RunScript : IAsyncDisposable
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromMinutes(2);
    private readonly Process _run;
    private readonly ConcurrentQueue<string> _output = new();

    public RunScript(IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("bash", ["eng/run.sh"]) { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        _run = Process.Start(start)!;
        _run.OutputDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        _run.ErrorDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        _run.BeginOutputReadLine();
        _run.BeginErrorReadLine();
    }

    public string Tail => string.Join('\n', _output.TakeLast(30));

    /// <summary>The first line of output that matches, waiting for it within <paramref name="within"/>.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan within)
    {
        for (var deadline = DateTime.UtcNow + within; DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            if (_output.Select(line => pattern.Match(line)).FirstOrDefault(m => m.Success) is { } match)
            {
                return match;
            }

            Assert.False(_run.HasExited, $"./eng/run.sh exited with {(_run.HasExited ? _run.ExitCode : 0)}: {Tail}");
        }

        throw new TimeoutException($"./eng/run.sh printed nothing matching {pattern} within {within.TotalSeconds} s: {Tail}");
    }

    /// <summary>Waits until the worker's readiness answers 204 on port 8000, where eng/run.sh serves it.</summary>
    public async Task WaitForReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { Timeout = ProbeClient.RequestTimeout };
        var last = "no answer";
        for (var deadline = DateTime.UtcNow + within; DateTime.UtcNow < deadline; await Task.Delay(500))
        {
            Assert.False(_run.HasExited, $"./eng/run.sh exited with {(_run.HasExited ? _run.ExitCode : 0)}: {Tail}");
            try
            {
                using var response = await http.GetAsync($"http://localhost:8000{ProbeClient.Ready}");
                if ((int)response.StatusCode == 204)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }
        }

        throw new TimeoutException($"Readiness on port 8000 was not 204 within {within.TotalSeconds} s (last: {last}): {Tail}");
    }

    /// <summary>SIGTERM to the script, `dotnet run` and the AppHost; whatever does not stop within the bound is killed and fails the test.</summary>
    public async Task StopAsync()
    {
        if (!_run.HasExited)
        {
            foreach (var pid in ProcessTree.Descendants(_run.Id).Prepend(_run.Id).Where(p => ProcessTree.Name(p) is "bash" or "dotnet" or "AppHost"))
            {
                await ProcessTree.SignalAsync(pid, "TERM");
            }
        }

        using var stopped = new CancellationTokenSource(StopWithin);
        try
        {
            await _run.WaitForExitAsync(stopped.Token);
        }
        catch (OperationCanceledException)
        {
            _run.Kill(entireProcessTree: true);
            Assert.Fail($"./eng/run.sh did not stop within {StopWithin.TotalMinutes} minutes of SIGTERM: {Tail}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.HasExited)
        {
            // A failed test still stops the app; the test's own failure is what it reports.
            try
            {
                await StopAsync();
            }
            catch (Xunit.Sdk.FailException)
            {
            }
        }

        _run.Dispose();
    }
}
