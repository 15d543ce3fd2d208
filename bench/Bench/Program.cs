using System.Diagnostics;
using Bench;
using Bench.Scenarios;

// bench/run.sh [--smoke] [--output FILE] [--messages N] [--skip-timings]: starts the system, measures every figure against a
// baseline from the same run, and writes a markdown table. --smoke keeps the counts small so that CI can check the bench
// still works. Paths (bench/RESULTS.md, eng/run.sh) are the repository's, wherever the bench was started from.
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
var messages = args.SkipWhile(a => a != "--messages").Skip(1).Select(int.Parse).FirstOrDefault(smoke ? 2_000 : 100_000);
var load = TimeSpan.FromSeconds(smoke ? 2 : 10);
var warmUp = TimeSpan.FromSeconds(smoke ? 1 : 3);
var hangFor = TimeSpan.FromSeconds(smoke ? 6 : 20);
var (malformed, streamCount, streamRate) = smoke ? (500, 1_000, 500.0) : (10_000, 20_000, 2_000.0);

// OTEL_TRACES_SAMPLER_ARG in deploy/kubernetes/worker.yaml.
const double DeployedTraceSampleRatio = 0.01;

var clock = Stopwatch.StartNew();
var figures = new List<Figure>();
void Report(IEnumerable<Figure> measured)
{
    foreach (var figure in measured)
    {
        figures.Add(figure);
        Console.WriteLine($"{figure.Id} {figure.What}: {figure.Value:0.###} {figure.Unit} (baseline {figure.Baseline:0.###})");
    }
}

await using (var app = await BenchApp.StartAsync())
{
    var connectionStrings = new Dictionary<string, string>();
    foreach (var name in new[] { "rabbitmq", "redis", "workerdb" })
    {
        connectionStrings[name] = await app.ConnectionStringAsync(name);
    }

    var broker = new Broker(connectionStrings["rabbitmq"]);
    var store = new Store(connectionStrings["workerdb"]);
    await using (var counters = new DependencyCounters(connectionStrings["redis"], connectionStrings["workerdb"], () => app.ResourceProcessId("rabbitmq")))
    {
        Report(await new ProbeLoad(app, counters, connectionStrings, load, warmUp).MeasureAsync());
    }

    await using (var pageDesign = await Baselines.StartPageDesignAsync(connectionStrings))
    {
        var hanging = new HangingDependencies(app, Baselines.Address(pageDesign), hangFor);
        foreach (var dependency in new[] { "redis", "postgres", "rabbitmq" })
        {
            Report(await hanging.MeasureAsync(dependency));
        }
    }

    var drain = new Drain(app, broker, store);
    var noOp = await drain.NoOpConsumerAsync(messages);
    var (rate, rss) = await drain.WorkerAsync(messages);
    app.TraceSampleRatio = DeployedTraceSampleRatio;
    var (sampledRate, sampledRss) = await drain.WorkerAsync(messages);
    app.TraceSampleRatio = null;
    Report([
        new("P4", $"drain rate of {messages:N0} queued messages, stored and deduplicated", rate, "msg/s", noOp, "no-op consumer, auto-ack, same prefetch", "≥ 0.5×", rate >= 0.5 * noOp),
        new("P4", "worker peak RSS (VmHWM) after the drain, every message traced (Aspire's development default)", rss, "MB", null, "—", "≤ 200 MB", rss <= 200),
        new("P4", $"drain rate, {DeployedTraceSampleRatio:P0} of traces sampled (as deploy/kubernetes sets)", sampledRate, "msg/s", noOp, "no-op consumer, auto-ack, same prefetch", "≥ 0.5×", sampledRate >= 0.5 * noOp),
        new("P4", $"worker peak RSS (VmHWM) after the drain, {DeployedTraceSampleRatio:P0} of traces sampled", sampledRss, "MB", null, "—", "≤ 200 MB", sampledRss <= 200),
    ]);

    var flood = new MalformedFlood(app, broker, store);
    Report(await flood.MeasureAsync(messages, malformed, rate, oversized: true));
    Report(await flood.MeasureAsync(messages, malformed, rate, oversized: false));

    var stream = new FaultStream(app, broker, store, streamCount, streamRate);
    foreach (var (name, inject) in stream.Faults)
    {
        Report(await stream.MeasureAsync(name, inject));
    }
}

if (!smoke && !args.Contains("--skip-timings"))
{
    Report([
        new("P5", "seconds from `./eng/run.sh` to `/internal/ready` 204 (processes mode, build included)", await Timings.RunCommandToReadyAsync(), "s", null, "—", "record", null),
        new("P5", "seconds for the whole test suite (`./eng/test.sh`)", await Timings.TestSuiteAsync(), "s", null, "—", "record", null),
    ]);
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, ResultsTable.ToMarkdown(figures, smoke ? "smoke: small counts, short loads" : "full", clock.Elapsed));
Console.WriteLine($"wrote {output}");
return 0;
