using System.Diagnostics;
using Worker.Commands;

namespace Bench.Comparison;

/// <summary>
/// C2, truth under faults: every contender with probes through the same faults on the same servers, the others
/// stopped. Valid messages are published to the contender's queue at a steady rate and the fault strikes a third of
/// the way in (or a backlog is queued and the fault strikes once a fifth of it is stored). Both probes are sampled
/// every 0.5 s as a kubelet would (1 s timeout), the stored rows every 0.5 s on the same clock. The minimal consumer
/// has no probes and is left out.
/// </summary>
/// <param name="scale">Shortens every fault's duration (the smoke run's 0.1), to no less than 3 s.</param>
/// <param name="smoke">Only the first faults, enough to run every contender through the whole path once.</param>
/// <param name="only">Only the faults whose name holds this (bench/run.sh --faults), while working on one.</param>
public sealed class FaultTable(BenchApp app, IReadOnlyList<Contender> contenders, Broker broker, Store store, int count, double rate, double scale, bool smoke, string? only = null)
{
    private const string QueueType = "quorum";
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan SettleWithin = TimeSpan.FromSeconds(60);
    private readonly ServerFaults _faults = new(app, store);

    /// <summary>
    /// One fault: injected into a running contender (with its work queue's name), returning once it is over. A poison
    /// fault is a body of that kind in the stream; a backlog fault strikes a queue filled at once, a fifth drained.
    /// </summary>
    private sealed record Fault(string Name, Func<Contender, string, Task> Inject, string? Poison = null, bool Backlog = false, bool NeedsLocalServers = false);

    private IReadOnlyList<Fault> Faults =>
    [
        new("a poison message `{\"id\": null, …}`", (_, _) => Task.CompletedTask, Poison: "null-field"),
        new("a payload PostgreSQL's `jsonb` refuses (`\\u0000`)", (_, _) => Task.CompletedTask, Poison: "invalid-string"),
        new($"`LOCK TABLE` on its table held for {Seconds(60)} s", (c, _) => _faults.LockTableAsync(c.Table, Seconds(60))),
        new("the work queue deleted", (_, queue) => broker.DeleteAsync(queue)),
        // A backlog: the alarm blocks publishers, the bench's too, and the question is whether consuming goes on.
        new($"a broker memory alarm for {Seconds(20)} s, with a backlog", (_, _) => _faults.MemoryAlarmAsync(Seconds(20)), Backlog: true, NeedsLocalServers: true),
        new($"PostgreSQL hung (SIGSTOP) for {Seconds(20)} s", (_, _) => _faults.HangAsync("postgres", Seconds(20)), NeedsLocalServers: true),
        new($"Redis hung (SIGSTOP) for {Seconds(20)} s", (_, _) => _faults.HangAsync("redis", Seconds(20)), NeedsLocalServers: true),
        new("the broker restarted", async (_, _) =>
        {
            await app.ExecuteCommandAsync("rabbitmq", "resource-restart");
            await app.WaitForHealthyAsync("rabbitmq");
        }),
        new("SIGTERM while draining a backlog, then started", async (contender, _) =>
        {
            await contender.SignalAsync("TERM");
            await contender.StartAsync(QueueType);
        }, Backlog: true),
    ];

    public async Task<List<FaultCell>> MeasureAsync()
    {
        var cells = new List<FaultCell>();
        foreach (var fault in (smoke ? Faults.Take(3) : Faults).Where(f => only is null || f.Name.Contains(only, StringComparison.Ordinal)))
        {
            foreach (var contender in contenders.Where(c => c.Ready is not null))
            {
                try
                {
                    cells.Add(await MeasureAsync(contender, fault));
                }
                catch (Exception ex)
                {
                    cells.Add(FaultCell.Unmeasured(fault.Name, contender.Name, ex.Message.Split('\n')[0]));
                }

                Console.WriteLine($"C2 {fault.Name}: {contender.Name}: {cells[^1].ToMarkdown()}");
            }
        }

        return cells;
    }

    private async Task<FaultCell> MeasureAsync(Contender contender, Fault fault)
    {
        if (fault.NeedsLocalServers && !app.LocalServers)
        {
            return FaultCell.Unmeasured(fault.Name, contender.Name, $"{FaultReport.NotApplicable}: the servers run in containers; this fault needs their processes");
        }

        foreach (var other in contenders.Where(c => c != contender))
        {
            await other.StopAsync();
        }

        await contender.StartAsync(QueueType);
        var queue = contender.Queue(QueueType);
        var errorQueue = contender.ErrorQueue;
        if (errorQueue is not null)
        {
            await broker.TakeAllAsync(errorQueue);
        }

        var prefix = $"c2{Guid.NewGuid():N}";
        // A backlog large enough that a fifth of it takes a while to drain, even for the fastest.
        var valid = fault.Backlog ? count * 4 : count;
        // The tail, the last tenth: once it is stored, the contender recovered (it is published after the fault has
        // struck, except in a backlog).
        var tail = Math.Max(1, valid / 10);
        var bodies = Enumerable.Range(0, valid).Select(i => SampleMessages.Valid(i < valid - tail ? $"{prefix}-{i}" : $"{prefix}-t{i}")).ToList();
        if (fault.Poison is { } kind)
        {
            bodies.Insert(valid / 3, SampleMessages.Poison(prefix).First(p => p.Kind == kind).Body);
        }

        var table = store.Of(contender.Table);
        var clock = Stopwatch.StartNew();
        var restartedAt = TimeSpan.MaxValue;
        IReadOnlyList<ProbeSample> ready, alive;
        var progress = new ProgressSampler(clock, store.ConnectionString, contender.Table, prefix);
        await using (progress)
        await using (var readiness = new ProbeSampler(clock, () => contender.Ready!, 1, ProbeInterval, TimeSpan.FromSeconds(1)))
        await using (var liveness = new ProbeSampler(clock, () => contender.Alive!, 1, ProbeInterval, TimeSpan.FromSeconds(1)))
        {
            using var publishWithin = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var stream = broker.PublishToAsync(queue, bodies, fault.Backlog ? 0 : rate, publishWithin.Token);
            try
            {
                if (fault.Backlog)
                {
                    await stream;
                    await Harness.Within.UntilAsync(async () => await table.RowsAsync(prefix) >= valid / 5, SettleWithin, $"{contender.Name} did not drain a fifth of the backlog");
                }
                else
                {
                    await Task.Delay(TimeSpan.FromSeconds(count / rate / 3));
                }

                await fault.Inject(contender, queue);
                // A publisher held up by the fault (a queue that nobody declares again) is freed by the restart below.
                if (await Task.WhenAny(stream, Task.Delay(SettleWithin)) != stream || await table.WaitForRowsAsync($"{prefix}-t", tail, SettleWithin) < tail)
                {
                    // It did not come back by itself: a restart, as an orchestrator would do in the end.
                    restartedAt = clock.Elapsed;
                    await contender.StopAsync();
                    await contender.StartAsync(QueueType);
                    await stream;
                    await table.WaitForRowsAsync($"{prefix}-t", tail, SettleWithin);
                }

                // What a retry or a redelivery still holds arrives now, or counts as lost.
                await table.WaitForRowsAsync(prefix, valid, TimeSpan.FromSeconds(15));
            }
            finally
            {
                // A cell that failed half-way leaves no publisher behind for the next one.
                await publishWithin.CancelAsync();
                await Task.WhenAny(stream);
            }

            ready = readiness.Samples;
            alive = liveness.Samples;
        }

        var stall = progress.LongestStall(valid);
        var rows = await table.RowsAsync(prefix);
        var marker = System.Text.Encoding.UTF8.GetBytes(prefix);
        var parked = errorQueue is null ? 0 : (await ErrorQueueAsync(errorQueue, fault.Poison is not null)).Count(body => body.AsSpan().IndexOf(marker) >= 0);
        return new FaultCell(fault.Name, contender.Name,
            Lost: valid + (fault.Poison is null ? 0 : 1) - rows - parked,
            InErrorQueue: parked,
            StoredTwice: await table.RowsStoredTwiceAsync(prefix),
            StalledSeconds: stall.Seconds,
            ReadyHealthySeconds: HealthySeconds(ready, stall.From, stall.To),
            // A contender stopped on purpose, or restarted, answers nothing meanwhile; only a failure while it runs counts.
            AliveFailures: fault.Backlog && fault.Name.StartsWith("SIGTERM", StringComparison.Ordinal) ? 0 : alive.Count(s => s.SentAt < restartedAt && !Contender.IsHealthy(s.Status)),
            NeededRestart: restartedAt != TimeSpan.MaxValue);
    }

    // The error queue's bodies; a poison message may still be in its framework's retries, so it gets up to 30 s.
    private async Task<List<byte[]>> ErrorQueueAsync(string errorQueue, bool poison)
    {
        var bodies = await broker.TakeAllAsync(errorQueue);
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30); poison && bodies.Count == 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
            bodies.AddRange(await broker.TakeAllAsync(errorQueue));
        }

        return bodies;
    }

    // Seconds within [from, to] in which readiness answered healthy; each answer holds until the next is sent.
    private static double HealthySeconds(IReadOnlyList<ProbeSample> samples, TimeSpan from, TimeSpan to) =>
        samples.Zip(samples.Skip(1))
            .Where(pair => Contender.IsHealthy(pair.First.Status))
            .Sum(pair => Math.Max(0, ((pair.Second.SentAt < to ? pair.Second.SentAt : to) - (pair.First.SentAt > from ? pair.First.SentAt : from)).TotalSeconds));

    private int Seconds(int full) => Math.Max(3, (int)Math.Round(full * scale));
}
