using System.Collections.Concurrent;
using System.Diagnostics;

namespace Bench;

/// <summary>One probe request: when it was sent and answered, on the sampler's clock, and its status (0: no answer).</summary>
public sealed record ProbeSample(TimeSpan SentAt, TimeSpan AnsweredAt, int Status)
{
    public double LatencyMs => (AnsweredAt - SentAt).TotalMilliseconds;
}

/// <summary>
/// Probes a URL from a few concurrent loops, as kubelets and load balancers do, and keeps every answer with its timing.
/// wrk only reports a whole run; the fault figures need to know when each answer changed.
/// </summary>
public sealed class ProbeSampler : IAsyncDisposable
{
    private readonly Stopwatch _clock;
    private readonly ConcurrentQueue<ProbeSample> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly Task[] _loops;

    /// <param name="url">Read before each request, so a sampler can follow a worker that restarts on another port.</param>
    public ProbeSampler(Stopwatch clock, Func<Uri> url, int loops, TimeSpan interval, TimeSpan timeout)
    {
        _clock = clock;
        _http = new HttpClient { Timeout = timeout };
        _loops = Enumerable.Range(0, loops).Select(_ => Task.Run(() => LoopAsync(url, interval))).ToArray();
    }

    public IReadOnlyList<ProbeSample> Samples => _samples.OrderBy(s => s.SentAt).ToList();

    private async Task LoopAsync(Func<Uri> url, TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            var sent = _clock.Elapsed;
            var status = 0;
            try
            {
                using var response = await _http.GetAsync(url(), _stop.Token);
                status = (int)response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
            {
                // No answer within the timeout, refused, or no worker process to address: all read as failures.
            }

            if (!_stop.IsCancellationRequested)
            {
                _samples.Enqueue(new ProbeSample(sent, _clock.Elapsed, status));
            }

            try
            {
                await Task.Delay(interval, _stop.Token);
            }
            catch (TaskCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(30));
        _http.Dispose();
        _stop.Dispose();
    }
}
