using System.Diagnostics;
using Bench;
using Bench.Comparison;
using Bench.Scenarios;

// bench/run.sh [--smoke] [--output FILE] [--messages N] [--skip-timings] [--only P4,C1] [--faults TEXT] [--worker-env KEY=VALUE]... [--ab KEY=VALUE] [--charts]: starts the system, measures every figure against a
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
if (args.Contains("--charts"))
{
    // bench/run.sh --charts: draws docs/*.svg again from bench/RESULTS.md, without measuring anything.
    var results = await File.ReadAllTextAsync(Path.Combine("bench", "RESULTS.md"));
    Charts.Draw(ResultsTable.Parse(results), FaultChart.Parse(results), "docs");
    Console.WriteLine("drew docs/readiness-while-hung.svg, docs/drain-rates.svg and docs/faults-compared.svg");
    return 0;
}

var output = args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() ?? Path.Combine("bench", smoke ? "RESULTS.smoke.md" : "RESULTS.md");
var messages = args.SkipWhile(a => a != "--messages").Skip(1).Select(int.Parse).FirstOrDefault(smoke ? 2_000 : 100_000);
var load = TimeSpan.FromSeconds(smoke ? 2 : 10);
var warmUp = TimeSpan.FromSeconds(smoke ? 1 : 3);
var hangFor = TimeSpan.FromSeconds(smoke ? 6 : 20);
var (malformed, streamCount, streamRate) = smoke ? (500, 1_000, 500.0) : (10_000, 20_000, 2_000.0);
// --only P4,P6: a partial run while working on one figure (the committed results are always a full run).
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
bool Runs(params string[] ids) => only is null || ids.Any(only.Contains);

var clock = Stopwatch.StartNew();
var figures = new List<Figure>();
var faultCells = new List<FaultCell>();
void Report(IEnumerable<Figure> measured)
{
    foreach (var figure in measured)
    {
        figures.Add(figure);
        Console.WriteLine($"{figure.Id} {figure.What}: {figure.Value:0.###} {figure.Unit} (baseline {figure.Baseline:0.###})");
    }
}

var workerSettings = args.Zip(args.Skip(1)).Where(pair => pair.First == "--worker-env").Select(pair => pair.Second.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
await using (var app = await BenchApp.StartAsync(workerSettings))
{
    var connectionStrings = new Dictionary<string, string>();
    foreach (var name in new[] { "rabbitmq", "redis", "workerdb" })
    {
        connectionStrings[name] = await app.ConnectionStringAsync(name);
    }

    var broker = new Broker(connectionStrings["rabbitmq"]);
    var store = new Store(connectionStrings["workerdb"]);
    if (Runs("P1", "P2"))
    {
        await using var counters = new DependencyCounters(connectionStrings["redis"], connectionStrings["workerdb"], () => app.TryProcessId("rabbitmq") ?? 0);
        Report(await new ProbeLoad(app, counters, connectionStrings, load, warmUp).MeasureAsync());
    }

    if (Runs("P3"))
    {
        await using var pageDesign = await Baselines.StartPageDesignAsync(connectionStrings);
        var hanging = new HangingDependencies(app, Baselines.Address(pageDesign), hangFor);
        foreach (var dependency in new[] { "redis", "postgres", "rabbitmq" })
        {
            Report(await hanging.MeasureAsync(dependency));
        }
    }

    var drain = new Drain(app, broker, store);
    var rate = double.NaN;
    var drains = new QueuedDrains(app, drain);
    if (Runs("P4", "R2", "R3"))
    {
        (var measured, rate) = await drains.MeasureAsync(messages);
        Report(measured);
    }

    if (args.SkipWhile(a => a != "--ab").Skip(1).FirstOrDefault()?.Split('=', 2) is [var abKey, var abValue])
    {
        Report([await drains.CompareAsync(abKey, abValue, messages)]);
    }

    if (Runs("R5"))
    {
        Report(await new RedisRefusingWrites(drain, connectionStrings["redis"]).MeasureAsync(messages / 2));
    }

    var flood = new PoisonFlood(app, broker, store);
    if (Runs("R2"))
    {
        Report(await flood.MeasureAsync("R2", messages, PoisonFlood.Mix(malformed, oversized: true), rate));
        Report(await flood.MeasureAsync("R2", messages, PoisonFlood.Mix(malformed, oversized: false), rate));
    }

    if (Runs("R3"))
    {
        Report(await flood.MeasureAsync("R3", messages, PoisonFlood.Mix(messages / 100, oversized: true), rate));
    }

    if (Runs("R4"))
    {
        Report(await new Replicas(app, broker, store).MeasureAsync(messages));
    }

    if (Runs("P6"))
    {
        var (validBodies, largeBodies) = smoke ? (200, 5) : (2_000, 50);
        // The large ones as large as the broker takes (its max_message_size): a larger publish is refused.
        Report(await new LargeBodies(app, broker, store).MeasureAsync(validBodies, 60_000, largeBodies, AppHost.BackingServices.BrokerMessageLimit.DefaultBytes));
    }

    if (Runs("R1"))
    {
        var stream = new FaultStream(app, broker, store, streamCount, streamRate);
        foreach (var (name, inject) in stream.Faults)
        {
            Report(await stream.MeasureAsync(name, inject));
        }
    }

    if (Runs("C1", "C2"))
    {
        var comparison = new ComparisonRun(Contenders.Create(app, broker, connectionStrings));
        await using (comparison)
        {
            if (Runs("C1"))
            {
                Report(await Measured("C1", () => new Speed(comparison.Contenders, drain, broker, store, smoke ? 500 : 10_000, messages, smoke ? 1 : 3, smoke ? ["quorum"] : null).MeasureAsync()));
            }

            if (Runs("C2"))
            {
                faultCells = await new FaultTable(app, comparison.Contenders, broker, store, smoke ? 600 : 5_000, smoke ? 200 : 500, smoke ? 0.1 : 1, smoke,
                    args.SkipWhile(a => a != "--faults").Skip(1).FirstOrDefault()).MeasureAsync();
                Report(FaultReport.Figures(faultCells));
            }
        }

        Report(comparison.DisposeFailures.Select(failure => new Figure("C1", $"ending the contenders failed: {failure}", double.NaN, "", null, "—", "ended", false, Correctness: true)));
    }
}

if (Runs("R1"))
{
    try
    {
        await using var app = await BenchApp.StartFailoverAsync(workerSettings);
        var failovers = new Failovers(app, streamCount, streamRate);
        Report(await failovers.LeaderCrashedAsync());
        Report(await failovers.PrimaryCrashedAsync());
    }
    catch (Exception ex)
    {
        // Failing the run, but keeping the figures measured above.
        Report([new("R1", $"failovers: not measured ({ex.Message.Split('\n')[0]})", double.NaN, "", null, "—", "measured", false, Correctness: true)]);
    }
}

if (!smoke && only is null && !args.Contains("--skip-timings"))
{
    // Timed on the working tree as it stands; a failure here must not cost the figures measured above.
    foreach (var (what, measure) in new (string, Func<Task<double>>)[]
    {
        ("seconds from `./eng/run.sh` to `/internal/ready` 204 (processes mode, build included)", Timings.RunCommandToReadyAsync),
        ("seconds for the whole test suite (`./eng/test.sh`)", Timings.TestSuiteAsync),
    })
    {
        try
        {
            Report([new("P5", what, await measure(), "s", null, "—", "record", null)]);
        }
        catch (Exception ex)
        {
            Report([new("P5", $"{what}: not measured ({ex.Message.Split('\n')[0]})", double.NaN, "s", null, "—", "record", null)]);
        }
    }
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
var mode = smoke ? "smoke: small counts, short loads"
    : only is not null ? $"partial: {string.Join(", ", only)} only, --messages {messages:N0}"
    : args.Contains("--skip-timings") ? "full but P5, --skip-timings"
    : "full";
await File.WriteAllTextAsync(output, ResultsTable.ToMarkdown(figures, mode, clock.Elapsed, faultCells.Count > 0 ? FaultReport.ToMarkdown(faultCells) : null));
Console.WriteLine($"wrote {output}");
if (!smoke && only is null)
{
    Charts.Draw(figures, [.. faultCells.Select(c => (c.Fault, c.Contender, c.Verdict))], "docs");
}

// A scenario's figures, or one that says it was not measured and fails the run, keeping the figures measured before.
static async Task<IReadOnlyList<Figure>> Measured(string id, Func<Task<IReadOnlyList<Figure>>> measure)
{
    try
    {
        return await measure();
    }
    catch (Exception ex)
    {
        return [new(id, $"not measured ({ex.Message.Split('\n')[0]})", double.NaN, "", null, "—", "measured", false, Correctness: true)];
    }
}

// Speed figures are records; a correctness figure that missed its goal means the worker lost or lied.
var wrong = figures.Where(f => f.Correctness && f.Met == false).ToList();
foreach (var figure in wrong)
{
    await Console.Error.WriteLineAsync($"bench: correctness goal missed: {figure.Id} {figure.What}: {figure.Value} (goal {figure.Goal})");
}

return wrong.Count == 0 ? 0 : 1;
