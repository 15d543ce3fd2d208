using System.Diagnostics;

namespace Worker.Tests.Integration;

/// <summary>
/// Both probes sampled every 250 ms in the background, as a kubelet would ask them, for a test that asks what they
/// said while an event happened. A probe that does not answer within its bound, or whose port is closed, is recorded
/// as 0: a kubelet counts either as a failure.
/// </summary>
public sealed class ProbeTimeline : IAsyncDisposable
{
    private readonly List<Sample> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public ProbeTimeline(ProbeClient probes) => _sampling = Task.Run(() => SampleAsync(probes));

    public readonly record struct Sample(TimeSpan At, int Alive, int Ready);

    /// <summary>Time since sampling began, on the samples' clock.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>From the first to the last sample after <paramref name="from"/> whose readiness was not 204; zero if none.</summary>
    public TimeSpan NotReadyFor(TimeSpan from)
    {
        var failed = Samples.Where(s => s.At > from && s.Ready != 204).ToList();
        return failed.Count == 0 ? TimeSpan.Zero : failed[^1].At - failed[0].At;
    }

    /// <summary>The samples as text, for failure messages: one per line, only where an answer changed.</summary>
    public string Describe() => string.Join(Environment.NewLine, Samples
        .Where((s, i) => i == 0 || s.Alive != Samples[i - 1].Alive || s.Ready != Samples[i - 1].Ready)
        .Select(s => $"{s.At.TotalSeconds,7:F1} s: alive {s.Alive}, ready {s.Ready}"));

    private async Task SampleAsync(ProbeClient probes)
    {
        while (!_stop.IsCancellationRequested)
        {
            var at = _clock.Elapsed;
            var alive = await StatusAsync(probes, ProbeClient.Alive);
            var ready = await StatusAsync(probes, ProbeClient.Ready);
            lock (_samples)
            {
                _samples.Add(new Sample(at, alive, ready));
            }

            try
            {
                await Task.Delay(250, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task<int> StatusAsync(ProbeClient probes, string path)
    {
        try
        {
            return await probes.StatusAsync(path);
        }
        catch (Exception ex) when (ex is TimeoutException or HttpRequestException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
