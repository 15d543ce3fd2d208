using Worker.Commands;

namespace Bench.Comparison;

/// <summary>
/// C1: the drain of a queued backlog by every contender, on the same servers and bodies. Each is started cold on a
/// queue holding <c>warm</c> messages to warm it up followed by <c>measured</c> ones, and timed over the measured ones
/// from its table's own timestamps; the figure is the median of interleaved runs (each run starts with the next
/// contender). The no-op consumers, auto-ack and manual-ack, are the broker's own limits in the same runs.
/// </summary>
/// <param name="onlyQueueTypes">The smoke run's subset: only the drains on these queue types, with and without poison.</param>
public sealed class Speed(IReadOnlyList<Contender> contenders, Drain drain, Broker broker, Store store, int warm, int measured, int runs, string[]? onlyQueueTypes)
{
    private static readonly TimeSpan DrainWithin = TimeSpan.FromMinutes(10);

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public async Task<IReadOnlyList<Figure>> MeasureAsync()
    {
        var figures = new List<Figure>();
        var failures = new List<Figure>();
        var drains = new[] { ("quorum queue", "quorum", 0.0), ("classic queue", "classic", 0.0), ("quorum queue, 10 % poison", "quorum", 0.1) }
            .Where(d => onlyQueueTypes is null || onlyQueueTypes.Contains(d.Item2));
        foreach (var (what, queueType, poisonShare) in drains)
        {
            var rates = contenders.ToDictionary(c => c, _ => new List<double>());
            var peaks = contenders.ToDictionary(c => c, _ => new List<double>());
            var (autoAck, manualAck) = (new List<double>(), new List<double>());
            for (var run = 0; run < runs; run++)
            {
                foreach (var contender in contenders.Skip(run % contenders.Count).Concat(contenders.Take(run % contenders.Count)))
                {
                    try
                    {
                        var (rate, peak) = await DrainAsync(contender, queueType, poisonShare);
                        rates[contender].Add(rate);
                        peaks[contender].Add(peak);
                        Console.WriteLine($"C1 {what}, run {run + 1}: {contender.Name}: {rate:N0} msg/s, {peak:N0} MB (C1 at {_clock.Elapsed:hh\\:mm\\:ss})");
                    }
                    catch (Exception ex)
                    {
                        // One contender's failure costs its own figure (NaN fails the run), not everyone's.
                        await contender.StopAsync();
                        Console.WriteLine($"C1 {what}, run {run + 1}: {contender.Name}: failed: {ex.Message.Split('\n')[0]} (C1 at {_clock.Elapsed:hh\\:mm\\:ss})");
                        failures.Add(new("C1", $"{what}: {contender.Name}: not measured ({ex.Message.Split('\n')[0]})", double.NaN, "", null, "—", "measured", false, Correctness: true));
                    }
                }

                if (poisonShare == 0)
                {
                    autoAck.Add(await drain.NoOpConsumerAsync(measured, queueType));
                    manualAck.Add(await drain.NoOpConsumerAsync(measured, queueType, manualAck: true));
                }
            }

            var worker = contenders[0];
            var baseline = Median(rates[worker]);
            var valid = poisonShare > 0 ? "valid messages' drain rate" : "drain rate";
            var title = $"{what}: {valid}, {measured:N0} queued after {warm:N0} to warm up, median of {runs} interleaved runs";
            foreach (var contender in contenders)
            {
                var rate = Median(rates[contender]);
                // The drain goal: this worker at least 1.2× the fastest framework (MassTransit, Wolverine) on the quorum queue.
                var framework = queueType == "quorum" && poisonShare == 0
                    && (contender.Name.StartsWith("MassTransit", StringComparison.Ordinal) || contender.Name.StartsWith("Wolverine", StringComparison.Ordinal));
                figures.Add(framework
                    ? new("C1", $"{title}: {contender.Name}", rate, "msg/s", baseline, worker.Name, "≤ 0.83× (the worker ≥ 1.2×)", rate * 1.2 <= baseline)
                    : new("C1", $"{title}: {contender.Name}", rate, "msg/s", baseline, worker.Name, "record", null));
            }

            if (poisonShare == 0)
            {
                figures.Add(new("C1", $"{title}: no-op consumer, auto-ack", Median(autoAck), "msg/s", baseline, worker.Name, "record", null));
                figures.Add(new("C1", $"{title}: no-op consumer, manual ack of every batch (multiple)", Median(manualAck), "msg/s", baseline, worker.Name, "record", null));
            }

            if (queueType == "quorum" && poisonShare == 0)
            {
                foreach (var contender in contenders)
                {
                    figures.Add(new("C1", $"{what}: peak RSS (VmHWM) after the drain, median of {runs}: {contender.Name}", Median(peaks[contender]), "MB", Median(peaks[worker]), worker.Name, "record", null));
                }
            }
        }

        return [.. figures, .. failures];
    }

    private async Task<(double Rate, double PeakRssMb)> DrainAsync(Contender contender, string queueType, double poisonShare)
    {
        var prefix = $"c1{Guid.NewGuid():N}";
        var bodies = new List<byte[]>(warm + measured + (int)(measured * poisonShare));
        bodies.AddRange(Enumerable.Range(0, warm).Select(i => SampleMessages.Valid($"{prefix}w{i}")));
        var poison = SampleMessages.Poison(prefix);
        var every = poisonShare > 0 ? (int)Math.Round(1 / poisonShare) : int.MaxValue;
        for (var i = 0; i < measured; i++)
        {
            bodies.Add(SampleMessages.Valid($"{prefix}m{i}"));
            if (i % every == every - 1)
            {
                bodies.Add(poison[i / every % poison.Count].Body);
            }
        }

        // The queue is the contender's own, declared with its framework's arguments by one start.
        var queue = contender.Queue(queueType);
        if (!await broker.ExistsAsync(queue))
        {
            await contender.StartAsync(queueType);
        }

        // A run that failed can leave its messages, the poison that stopped it among them, ahead of this run's.
        await contender.StopAsync();
        await broker.PurgeAsync(queue);
        using (var publishWithin = new CancellationTokenSource(DrainWithin))
        {
            await broker.PublishToAsync(queue, bodies, 0, publishWithin.Token);
        }

        await contender.StartAsync(queueType);
        var table = store.Of(contender.Table);
        var rows = await table.WaitForRowsAsync($"{prefix}m", measured, DrainWithin, () => contender.IsRunning);
        if (rows < measured && !contender.IsRunning)
        {
            throw new InvalidOperationException($"{contender.Name} exited after storing {rows:N0} of {measured:N0}.");
        }

        var peak = Harness.ProcessTree.PeakRssMb(contender.ProcessId);
        await contender.StopAsync();
        if (rows < measured)
        {
            throw new TimeoutException($"{contender.Name} stored {rows:N0} of {measured:N0} within {DrainWithin.TotalMinutes} minutes.");
        }

        return (measured / await table.StoreSpanSecondsAsync($"{prefix}m"), peak);
    }

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);
}
