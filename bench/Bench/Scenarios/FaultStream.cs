using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Worker.Commands;
using Harness;

namespace Bench.Scenarios;

/// <summary>
/// R1: one fault in the middle of a stream of messages (10% duplicates, 1% malformed), then a count of what was
/// published, stored and dead-lettered, and how long nothing was stored. Both probes are sampled throughout, as a
/// kubelet would (1 s timeout). <see cref="Failovers"/> runs the same stream through a failover.
/// </summary>
public sealed class FaultStream(BenchApp app, Broker broker, Store store, int count, double ratePerSecond)
{
    private static readonly TimeSpan DependencyDownFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SettleWithin = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The faults, by name. Each returns once it is over (its server or worker healthy again); a worker fault returns
    /// true: the worker is down by design until it is started again.
    /// </summary>
    public IReadOnlyList<(string Name, Func<Task<bool>> Inject)> Faults =>
    [
        ("redis stopped for 5 s", () => StopForAWhileAsync("redis")),
        ("postgres stopped for 5 s", () => StopForAWhileAsync("postgres")),
        ("rabbitmq stopped for 5 s", () => StopForAWhileAsync("rabbitmq")),
        ("the broker restarted", async () =>
        {
            await app.ExecuteCommandAsync("rabbitmq", "resource-restart");
            await app.WaitForHealthyAsync("rabbitmq");
            return false;
        }),
        ("worker SIGTERM, then started", () => SignalWorkerAsync("TERM")),
        ("worker SIGKILL, then started", () => SignalWorkerAsync("KILL")),
    ];

    public async Task<IReadOnlyList<Figure>> MeasureAsync(string name, Func<Task<bool>> inject)
    {
        var prefix = $"r1{Guid.NewGuid():N}";
        var (bodies, ids, malformed) = SampleMessages.Build(new PublishPlan(count, DuplicateShare: 0.1, MalformedShare: 0.01, prefix, Seed: 11));
        var deadLettersBefore = await broker.DeadLetterCountAsync();
        var clock = Stopwatch.StartNew();
        TimeSpan workerDownFrom = TimeSpan.MaxValue, workerBackAt = TimeSpan.MaxValue, faultTook;
        int republished;
        IReadOnlyList<ProbeSample> alive, ready;
        await using (var liveness = new ProbeSampler(clock, () => app.ProxiedProbe("/internal/alive"), 1, ProbeInterval, TimeSpan.FromSeconds(1)))
        await using (var readiness = new ProbeSampler(clock, () => app.ProxiedProbe("/internal/ready"), 1, ProbeInterval, TimeSpan.FromSeconds(1)))
        {
            using var publishWithin = new CancellationTokenSource(SettleWithin);
            var stream = broker.PublishAsync(bodies, ratePerSecond, publishWithin.Token);
            await Task.Delay(TimeSpan.FromSeconds(count / ratePerSecond / 3));
            var faultAt = clock.Elapsed;
            var workerFault = await inject();
            faultTook = clock.Elapsed - faultAt;
            if (workerFault)
            {
                (workerDownFrom, workerBackAt) = (faultAt, faultAt + faultTook);
            }

            republished = await stream;
            await store.WaitForRowsAsync(prefix, ids.Count, SettleWithin);
            alive = liveness.Samples;
            ready = readiness.Samples;
        }

        await WaitForDeadLettersAsync(deadLettersBefore + (uint)malformed);
        // Anything redelivered late would show up now: count again after a pause.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var rows = await store.RowsAsync(prefix);
        var storedTwice = await store.RowsStoredTwiceAsync(prefix);
        var stalled = await store.LongestGapSecondsAsync(prefix);
        var notReady = SecondsNotHealthy(ready);
        var deadLettered = await broker.DeadLetterCountAsync() - deadLettersBefore;
        var aliveFailures = alive.Count(s => s.Status != 204 && (s.AnsweredAt < workerDownFrom || s.SentAt > workerBackAt));
        var what = $"{name}: {count:N0} sent ({ids.Count:N0} distinct ids, {malformed} malformed)";
        return
        [
            new("R1", $"{what}: ids lost (neither stored nor dead-lettered)", ids.Count - rows, "ids", ids.Count, "distinct valid ids sent", "0", rows == ids.Count, Correctness: true),
            new("R1", $"{what}: rows stored twice", storedTwice, "rows", rows, "rows stored", "0", storedTwice == 0, Correctness: true),
            new("R1", $"{what}: malformed messages dead-lettered", deadLettered, "messages", malformed, "malformed sent", "all, none lost", deadLettered >= malformed, Correctness: true),
            new("R1", $"{what}: seconds without progress (the longest time between two rows stored; the fault may have held up the publisher too)", stalled, "s", faultTook.TotalSeconds, "the fault: from its start until it was over", "record", null),
            new("R1", $"{what}: seconds `/internal/ready` answered other than 204 (sampled about every 0.5 s)", notReady, "s", stalled, "seconds without progress", "record", null),
            new("R1", $"{what}: messages the publisher sent again after a broker fault (at least once)", republished, "messages", count, "messages in the stream", "record", null),
            new("R1", $"{what}: `/internal/alive` failures (1 s timeout) while the worker ran", aliveFailures, "probes", alive.Count, "probes in all", "0: no liveness restart", aliveFailures == 0, Correctness: true),
        ];
    }

    // Each sample's answer holds until the next one is sent.
    private static double SecondsNotHealthy(IReadOnlyList<ProbeSample> samples) =>
        samples.Zip(samples.Skip(1)).Where(pair => pair.First.Status != 204).Sum(pair => (pair.Second.SentAt - pair.First.SentAt).TotalSeconds);

    private async Task WaitForDeadLettersAsync(uint expected)
    {
        var deadline = DateTime.UtcNow + SettleWithin;
        while (await broker.DeadLetterCountAsync() < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
    }

    private async Task<bool> StopForAWhileAsync(string dependency)
    {
        await app.ExecuteCommandAsync(dependency, "resource-stop");
        await Task.Delay(DependencyDownFor);
        await app.ExecuteCommandAsync(dependency, "resource-start");
        await app.WaitForHealthyAsync(dependency);
        return false;
    }

    private async Task<bool> SignalWorkerAsync(string signal)
    {
        var worker = app.WorkerProcessId();
        await ProcessTree.SignalAsync(worker, signal);
        using var exited = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await app.App.ResourceNotifications.WaitForResourceAsync("worker", [KnownResourceStates.Exited, KnownResourceStates.Finished], exited.Token);
        await app.ExecuteCommandAsync("worker", "resource-start");
        await app.WaitForHealthyAsync("worker");
        return true;
    }
}
