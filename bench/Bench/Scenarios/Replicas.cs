using Worker.Commands;
using Harness;

namespace Bench.Scenarios;

/// <summary>
/// R4: the same queue drained by 1, 2 and 3 workers, each as a ratio to one worker, with the servers on the same
/// machine. The CPU each process used during the 3-worker drain says what limits it.
/// </summary>
public sealed class Replicas(BenchApp app, Broker broker, Store store)
{
    private static readonly TimeSpan DrainWithin = TimeSpan.FromMinutes(10);

    public async Task<IReadOnlyList<Figure>> MeasureAsync(int count)
    {
        var figures = new List<Figure>();
        var one = double.NaN;
        for (var workers = 1; workers <= app.Workers.Count; workers++)
        {
            var prefix = $"r4{Guid.NewGuid():N}";
            var bodies = Enumerable.Range(0, count).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList();
            await app.ExecuteCommandAsync("worker", "resource-stop");
            using (var publishWithin = new CancellationTokenSource(DrainWithin))
            {
                await broker.PublishAsync(bodies, 0, publishWithin.Token);
            }

            var running = app.Workers.Take(workers).ToList();
            var cpuBefore = CpuByProcess(running);
            var wall = System.Diagnostics.Stopwatch.StartNew();
            foreach (var worker in running)
            {
                await app.ExecuteCommandAsync(worker, "resource-start");
            }

            if (await store.WaitForRowsAsync(prefix, count, DrainWithin) < count)
            {
                throw new TimeoutException($"{workers} workers did not drain the queue within {DrainWithin.TotalMinutes} minutes.");
            }

            wall.Stop();
            var rate = count / await store.StoreSpanSecondsAsync(prefix);
            one = workers == 1 ? rate : one;
            figures.Add(new("R4", $"drain rate of {count:N0} queued messages with {workers} worker{(workers == 1 ? "" : "s")}", rate, "msg/s", one, "one worker", "record", null));
            if (workers == app.Workers.Count)
            {
                var cpuAfter = CpuByProcess(running);
                foreach (var (process, before) in cpuBefore.Where(c => !c.Key.StartsWith("worker", StringComparison.Ordinal)))
                {
                    figures.Add(new("R4", $"{workers} workers: cores used by {process} from their start to the last row", (cpuAfter[process] - before) / wall.Elapsed.TotalSeconds, "cores", Environment.ProcessorCount, "cores on this machine", "record", null));
                }

                var workerCores = running.Sum(w => cpuAfter[w] - cpuBefore[w]) / wall.Elapsed.TotalSeconds;
                figures.Add(new("R4", $"{workers} workers: cores used by the workers together, start included", workerCores, "cores", Environment.ProcessorCount, "cores on this machine", "record", null));
            }

            foreach (var extra in running.Skip(1))
            {
                await app.ExecuteCommandAsync(extra, "resource-stop");
            }
        }

        await app.WaitForHealthyAsync("worker");
        return figures;
    }

    // A worker's process only exists while it runs: one that is about to start counts from 0.
    private Dictionary<string, double> CpuByProcess(IEnumerable<string> workers) =>
        workers.Concat(["postgres", "rabbitmq", "redis"]).ToDictionary(
            name => name,
            name => app.TryProcessId(name) is { } pid ? ProcessTree.CpuSeconds(pid) : 0);
}
