using System.Diagnostics;
using Bench;

// bench/run.sh [--smoke] [--output FILE] [--messages N] [--skip-timings]: starts the system, measures every figure against a baseline from the same
// run, and writes a markdown table. --smoke keeps the counts small so that CI can check the bench still works.
// Paths (bench/RESULTS.md, eng/run.sh) are the repository's, wherever the bench was started from.
for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
{
    if (File.Exists(Path.Combine(dir.FullName, "Solution.sln")))
    {
        Directory.SetCurrentDirectory(dir.FullName);
        break;
    }
}

var smoke = args.Contains("--smoke");
var output = args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() ?? Path.Combine("bench", smoke ? "RESULTS.smoke.md" : "RESULTS.md");
var load = smoke ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
var messages = args.SkipWhile(a => a != "--messages").Skip(1).Select(int.Parse).FirstOrDefault(smoke ? 2_000 : 100_000);
const int Connections = 32;

// Each endpoint gets a short run first, so that no figure carries JIT and connection warm-up.
async Task<LoadResult> MeasureAsync(Uri url)
{
    await Wrk.RunAsync(url, Connections, TimeSpan.FromSeconds(smoke ? 1 : 3));
    return await Wrk.RunAsync(url, Connections, load);
}

var clock = Stopwatch.StartNew();
var figures = new List<Figure>();
void Report(Figure figure)
{
    figures.Add(figure);
    Console.WriteLine($"{figure.Id} {figure.What}: {figure.Value:0.###} {figure.Unit} (baseline {figure.Baseline:0.###})");
}

await using (var app = await BenchApp.StartAsync())
{
    var counters = new DependencyCounters(await app.ConnectionStringAsync("redis"), await app.ConnectionStringAsync("workerdb"));
    var connectionStrings = new Dictionary<string, string>
    {
        ["rabbitmq"] = await app.ConnectionStringAsync("rabbitmq"),
        ["redis"] = await app.ConnectionStringAsync("redis"),
        ["workerdb"] = await app.ConnectionStringAsync("workerdb"),
    };

    await using var bare = await Baselines.StartBareKestrelAsync();
    var bareLoad = await MeasureAsync(Baselines.Address(bare));
    var alive = await MeasureAsync(app.Probe("/internal/alive"));
    Report(new("P1", "`/internal/alive` requests/s", alive.RequestsPerSecond, "req/s", bareLoad.RequestsPerSecond, "bare Kestrel 204", "≥ 0.9×", alive.RequestsPerSecond >= 0.9 * bareLoad.RequestsPerSecond));
    Report(new("P1", "`/internal/alive` p50 latency", alive.P50Ms, "ms", bareLoad.P50Ms, "bare Kestrel 204", "record", null));
    Report(new("P1", "`/internal/alive` p99 latency", alive.P99Ms, "ms", bareLoad.P99Ms, "bare Kestrel 204", "record", null));

    var idle = await counters.RateAsync(() => Task.Delay(load));
    var readyUrl = app.Probe("/internal/ready");
    await Wrk.RunAsync(readyUrl, Connections, TimeSpan.FromSeconds(smoke ? 1 : 3));
    LoadResult ready = default!;
    var underReady = await counters.RateAsync(async () => ready = await Wrk.RunAsync(readyUrl, Connections, load));
    await using var naiveHost = await Baselines.StartNaiveHealthChecksAsync(connectionStrings);
    await Wrk.RunAsync(Baselines.Address(naiveHost), Connections, TimeSpan.FromSeconds(smoke ? 1 : 3));
    LoadResult naive = default!;
    var underNaive = await counters.RateAsync(async () => naive = await Wrk.RunAsync(Baselines.Address(naiveHost), Connections, load));
    Report(new("P2", "`/internal/ready` requests/s", ready.RequestsPerSecond, "req/s", alive.RequestsPerSecond, "`/internal/alive`", "≥ 0.8×", ready.RequestsPerSecond >= 0.8 * alive.RequestsPerSecond));
    // Under this load the naive mapping can stall outright (a channel per request on one RabbitMQ connection):
    // then no request completes within wrk's 5 s timeout and it has no latency to compare with.
    Report(naive.RequestsPerSecond > 0
        ? new("P2", "`/internal/ready` p99 latency", ready.P99Ms, "ms", naive.P99Ms, "naive: every request runs every check", "record", null)
        : new("P2", "`/internal/ready` p99 latency", ready.P99Ms, "ms", null, "naive mapping: no request completed within wrk's 5 s timeout", "record", null));
    Report(new("P2", "naive mapping requests/s", naive.RequestsPerSecond, "req/s", ready.RequestsPerSecond, "`/internal/ready`", "record", null));
    Report(new("P2", "Redis commands/s under `/internal/ready` load", underReady.Redis, "ops/s", idle.Redis, "idle, no probe load", "does not grow (≤ 1.2× idle + 1)", underReady.Redis <= 1.2 * idle.Redis + 1));
    Report(new("P2", "Postgres transactions/s under `/internal/ready` load", underReady.Postgres, "ops/s", idle.Postgres, "idle, no probe load", "does not grow (≤ 1.2× idle + 1)", underReady.Postgres <= 1.2 * idle.Postgres + 1));
    Report(new("P2", "Redis commands/s under the naive mapping's load", underNaive.Redis, "ops/s", idle.Redis, "idle, no probe load", "record", null));
    Report(new("P2", "Postgres transactions/s under the naive mapping's load", underNaive.Postgres, "ops/s", idle.Postgres, "idle, no probe load", "record", null));

    var drain = new Drain(app);
    var noOp = await drain.NoOpConsumerAsync(messages);
    var (rate, rss) = await drain.WorkerAsync(messages);
    Report(new("P4", $"drain rate of {messages:N0} queued messages, stored and deduplicated", rate, "msg/s", noOp, "no-op consumer, auto-ack, same prefetch", "≥ 0.5×", rate >= 0.5 * noOp));
    Report(new("P4", "worker peak RSS (VmHWM) after the drain", rss, "MB", null, "—", "≤ 200 MB", rss <= 200));
}

if (!smoke && !args.Contains("--skip-timings"))
{
    Report(new("P5", "seconds from `./eng/run.sh` to `/internal/ready` 204 (processes mode, build included)", await Timings.RunCommandToReadyAsync(), "s", null, "—", "record", null));
    Report(new("P5", "seconds for the whole test suite (`./eng/test.sh`)", await Timings.TestSuiteAsync(), "s", null, "—", "record", null));
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, ResultsTable.ToMarkdown(figures, smoke ? "smoke: small counts, 2 s loads" : "full", clock.Elapsed));
Console.WriteLine($"wrote {output}");
return 0;
