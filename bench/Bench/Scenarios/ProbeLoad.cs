namespace Bench.Scenarios;

/// <summary>
/// P1 and P2: the probes under wrk's load (32 connections), against a bare Kestrel endpoint and against the naive
/// mapping where every request runs every health check; and what that load costs the dependencies.
/// </summary>
public sealed class ProbeLoad(BenchApp app, DependencyCounters counters, IReadOnlyDictionary<string, string> connectionStrings, TimeSpan load, TimeSpan warmUp)
{
    private const int Connections = 32;
    private const int Rounds = 3;

    public async Task<IReadOnlyList<Figure>> MeasureAsync()
    {
        await using var bare = await Baselines.StartBareKestrelAsync();
        var (bareLoad, alive) = await InterleavedAsync(Baselines.Address(bare), app.Probe("/internal/alive"));

        var idleChannels = await counters.BrokerChannelsAsync();
        var idle = await counters.RateAsync(() => Task.Delay(load));
        var (ready, underReady, readyChannels) = await UnderLoadAsync(app.Probe("/internal/ready"));
        await using var naiveHost = await Baselines.StartNaiveHealthChecksAsync(connectionStrings);
        var (naive, underNaive, naiveChannels) = await UnderLoadAsync(Baselines.Address(naiveHost));

        const string Idle = "idle, no probe load";
        return
        [
            new("P1", "`/internal/alive` requests/s", alive.RequestsPerSecond, "req/s", bareLoad.RequestsPerSecond, "bare Kestrel 204", "≥ 0.95×", alive.RequestsPerSecond >= 0.95 * bareLoad.RequestsPerSecond),
            new("P1", "`/internal/alive` p50 latency", alive.P50Ms, "ms", bareLoad.P50Ms, "bare Kestrel 204", "record", null),
            new("P1", "`/internal/alive` p99 latency", alive.P99Ms, "ms", bareLoad.P99Ms, "bare Kestrel 204", "record", null),
            new("P2", "`/internal/ready` requests/s", ready.RequestsPerSecond, "req/s", alive.RequestsPerSecond, "`/internal/alive`", "≥ 0.8×", ready.RequestsPerSecond >= 0.8 * alive.RequestsPerSecond),
            // Should the naive mapping stall outright under this load, no request completes within wrk's 5 s timeout
            // and it has no latency to compare with.
            naive.RequestsPerSecond > 0
                ? new("P2", "`/internal/ready` p99 latency", ready.P99Ms, "ms", naive.P99Ms, "naive: every request runs every check", "record", null)
                : new("P2", "`/internal/ready` p99 latency", ready.P99Ms, "ms", null, "naive mapping: no request completed within wrk's 5 s timeout", "record", null),
            new("P2", "naive mapping requests/s", naive.RequestsPerSecond, "req/s", ready.RequestsPerSecond, "`/internal/ready`", "record", null),
            new("P2", "`/internal/ready` answers other than 204 under load", ready.Non2xx, "answers", ready.Requests, "requests in all", "0", ready.Non2xx == 0, Correctness: true),
            new("P2", "naive mapping: answers other than 204 under load (checks failing or timing out)", naive.Non2xx, "answers", naive.Requests, "requests in all", "record", null),
            new("P2", "Redis commands/s under `/internal/ready` load", underReady.Redis, "ops/s", idle.Redis, Idle, "does not grow (≤ 1.2× idle + 1)", underReady.Redis <= 1.2 * idle.Redis + 1),
            new("P2", "Postgres transactions/s under `/internal/ready` load", underReady.Postgres, "ops/s", idle.Postgres, Idle, "does not grow (≤ 1.2× idle + 1)", underReady.Postgres <= 1.2 * idle.Postgres + 1),
            new("P2", "RabbitMQ channels open under `/internal/ready` load", readyChannels, "channels", idleChannels, Idle, "does not grow", double.IsNaN(readyChannels) ? null : readyChannels <= idleChannels),
            new("P2", "Redis commands/s under the naive mapping's load", underNaive.Redis, "ops/s", idle.Redis, Idle, "record", null),
            new("P2", "Postgres transactions/s under the naive mapping's load", underNaive.Postgres, "ops/s", idle.Postgres, Idle, "record", null),
            new("P2", "RabbitMQ channels open under the naive mapping's load", naiveChannels, "channels", idleChannels, Idle, "record", null),
        ];
    }

    /// <summary>
    /// The baseline and the probe in alternating order, three rounds, each figure the median round by requests/s:
    /// on two shared cores one run to the next varies by more than the gap P1 looks for.
    /// Each endpoint gets a short run first, so that no figure carries JIT and connection warm-up.
    /// </summary>
    private async Task<(LoadResult Baseline, LoadResult Probe)> InterleavedAsync(Uri baseline, Uri probe)
    {
        await Wrk.RunAsync(baseline, Connections, warmUp);
        await Wrk.RunAsync(probe, Connections, warmUp);
        var baselines = new List<LoadResult>();
        var probes = new List<LoadResult>();
        for (var round = 0; round < Rounds; round++)
        {
            var first = round % 2 == 0;
            (first ? baselines : probes).Add(await Wrk.RunAsync(first ? baseline : probe, Connections, load));
            (first ? probes : baselines).Add(await Wrk.RunAsync(first ? probe : baseline, Connections, load));
        }

        return (Median(baselines), Median(probes));
    }

    private static LoadResult Median(List<LoadResult> runs) => runs.OrderBy(r => r.RequestsPerSecond).ElementAt(runs.Count / 2);

    /// <summary>A load run with the servers' counters read around it, and the broker's channels counted halfway through.</summary>
    private async Task<(LoadResult Load, (double Redis, double Postgres) Operations, double Channels)> UnderLoadAsync(Uri url)
    {
        await Wrk.RunAsync(url, Connections, warmUp);
        LoadResult result = default!;
        var channels = double.NaN;
        var operations = await counters.RateAsync(async () =>
        {
            var run = Wrk.RunAsync(url, Connections, load);
            await Task.Delay(load / 2);
            channels = await counters.BrokerChannelsAsync();
            result = await run;
        });
        return (result, operations, channels);
    }
}
