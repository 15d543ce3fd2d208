using System.Diagnostics;
using Harness;

namespace Bench.Scenarios;

/// <summary>
/// P3: readiness while one dependency hangs (its server and all its processes under SIGSTOP), for the worker and for
/// the page's design, probed side by side on the same frozen server.
/// </summary>
public sealed class HangingDependencies(BenchApp app, Uri pageDesignReady, TimeSpan hold)
{
    // Four probing loops per endpoint, ten probes a second each; the page's design may take 5 s per check.
    private const int Loops = 4;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RecoverWithin = TimeSpan.FromMinutes(2);

    public async Task<IReadOnlyList<Figure>> MeasureAsync(string dependency)
    {
        // A server in a container has no process here to freeze; never signal a pid derived from nothing.
        if (app.TryProcessId(dependency) is null)
        {
            return [new("P3", $"{dependency} hung: not measured, the server runs in a container", double.NaN, "", null, "—", "record", null)];
        }

        var clock = Stopwatch.StartNew();
        var workerReady = app.Probe("/internal/ready");
        var workerAlive = app.Probe("/internal/alive");
        TimeSpan paused, resumed;
        IReadOnlyList<ProbeSample> worker, page, alive;
        await using (var workerSampler = new ProbeSampler(clock, () => workerReady, Loops, Interval, Timeout))
        await using (var pageSampler = new ProbeSampler(clock, () => pageDesignReady, Loops, Interval, Timeout))
        await using (var aliveSampler = new ProbeSampler(clock, () => workerAlive, 1, Interval, Timeout))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var server = app.ProcessId(dependency);
            paused = clock.Elapsed;
            await ProcessTree.PauseAsync(server);
            try
            {
                await Task.Delay(hold);
            }
            finally
            {
                await ProcessTree.ResumeAsync(server);
            }

            resumed = clock.Elapsed;
            await WaitUntilBothAnswer204Async(workerSampler, pageSampler, resumed);
            (worker, page, alive) = (workerSampler.Samples, pageSampler.Samples, aliveSampler.Samples);
        }

        var during = (IReadOnlyList<ProbeSample> samples) => samples.Where(s => s.SentAt >= paused && s.SentAt < resumed).ToList();
        var (workerHung, pageHung) = (during(worker), during(page));
        var baseline = "the page's design: sequential checks, 5 s timeouts";
        var p99 = Percentile(workerHung, 0.99);
        return
        [
            new("P3", $"{dependency} hung: `/internal/ready` p99 response time", p99, "ms", Percentile(pageHung, 0.99), baseline, "≤ 50 ms", p99 <= 50),
            new("P3", $"{dependency} hung: `/internal/ready` slowest response", workerHung.Max(s => s.LatencyMs), "ms", pageHung.Max(s => s.LatencyMs), baseline, "< 1,000 ms", workerHung.Max(s => s.LatencyMs) < 1000),
            new("P3", $"{dependency} hung: seconds until `/internal/ready` reads 500", FirstAnswer(worker, 500, paused, paused), "s", FirstAnswer(page, 500, paused, paused), baseline, "record", null),
            new("P3", $"{dependency} resumed: seconds until `/internal/ready` reads 204 again", FirstAnswer(worker, 204, resumed, resumed), "s", FirstAnswer(page, 204, resumed, resumed), baseline, "record", null),
            new("P3", $"{dependency} hung: `/internal/alive` answers other than 204", during(alive).Count(s => s.Status != 204), "answers", during(alive).Count, "answers in all", "0", during(alive).All(s => s.Status == 204), Correctness: true),
        ];
    }

    private static async Task WaitUntilBothAnswer204Async(ProbeSampler worker, ProbeSampler page, TimeSpan resumed)
    {
        var deadline = Stopwatch.StartNew();
        while (!(Answered(worker) && Answered(page)))
        {
            if (deadline.Elapsed > RecoverWithin)
            {
                throw new TimeoutException($"Readiness did not read 204 within {RecoverWithin.TotalSeconds} s of SIGCONT.");
            }

            await Task.Delay(200);
        }

        bool Answered(ProbeSampler sampler) => sampler.Samples.Any(s => s.SentAt >= resumed && s.Status == 204);
    }

    /// <summary>Seconds from <paramref name="from"/> until the first answer with this status to a probe sent since <paramref name="sentSince"/>.</summary>
    private static double FirstAnswer(IReadOnlyList<ProbeSample> samples, int status, TimeSpan sentSince, TimeSpan from) =>
        samples.Where(s => s.Status == status && s.SentAt >= sentSince).Select(s => (s.AnsweredAt - from).TotalSeconds).DefaultIfEmpty(double.NaN).Min();

    private static double Percentile(IReadOnlyList<ProbeSample> samples, double quantile)
    {
        var sorted = samples.Select(s => s.LatencyMs).Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];
    }
}
