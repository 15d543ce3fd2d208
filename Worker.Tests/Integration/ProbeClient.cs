using System.Diagnostics;

namespace Worker.Tests.Integration;

/// <summary>Asks the worker's probes, each request bounded the way a Kubernetes probe is.</summary>
public sealed class ProbeClient
{
    public const string Alive = "/internal/alive";
    public const string Ready = "/internal/ready";

    /// <summary>The bound: readiness answers within 2 s even while a dependency hangs.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http;

    public ProbeClient(HttpClient http)
    {
        _http = http;
        _http.Timeout = RequestTimeout;
    }

    public async Task<(int Status, string Body)> GetAsync(string path)
    {
        try
        {
            using var response = await _http.GetAsync(path);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (TaskCanceledException)
        {
            throw new TimeoutException($"{path} did not answer within {RequestTimeout.TotalSeconds} s.");
        }
    }

    public async Task<int> StatusAsync(string path) => (await GetAsync(path)).Status;

    /// <summary>
    /// Polls readiness until it answers <paramref name="expected"/>, asserting on the way that liveness answers 204
    /// every time: no dependency outage may fail liveness.
    /// </summary>
    public async Task WaitForReadyAsync(int expected, TimeSpan within, string because)
    {
        var clock = Stopwatch.StartNew();
        var last = 0;
        while (clock.Elapsed < within)
        {
            last = await StatusAsync(Ready);
            Assert.True(await StatusAsync(Alive) == 204, $"Liveness failed while waiting for readiness {expected} ({because}).");
            if (last == expected)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Readiness answered {last}, not {expected}, for {within.TotalSeconds} s ({because}).");
    }
}
