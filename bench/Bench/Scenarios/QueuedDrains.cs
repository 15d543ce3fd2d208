namespace Bench.Scenarios;

/// <summary>
/// P4: the worker draining a queued backlog, against no-op consumers on the same broker: every message traced, 1 %
/// traced, on a classic queue, and one batch at a time. Its rate is R2's and R3's baseline.
/// </summary>
public sealed class QueuedDrains(BenchApp app, Drain drain)
{
    // OTEL_TRACES_SAMPLER_ARG in deploy/kubernetes/worker.yaml.
    private const double DeployedTraceSampleRatio = 0.01;
    private const string BatchesInFlight = "Messaging__BatchesInFlight";

    public async Task<(IReadOnlyList<Figure> Figures, double Rate)> MeasureAsync(int messages)
    {
        var noOp = await drain.NoOpConsumerAsync(messages);
        var (rate, rss) = await drain.WorkerAsync(messages);
        app.TraceSampleRatio = DeployedTraceSampleRatio;
        var (sampledRate, sampledRss) = await drain.WorkerAsync(messages);
        app.TraceSampleRatio = null;
        var noOpClassic = await drain.NoOpConsumerAsync(messages, "classic");
        var (classicRate, _) = await drain.WorkerAsync(messages, "classic");
        var noOpManualAck = await drain.NoOpConsumerAsync(messages, manualAck: true);
        var (serialRate, _) = await WithSettingAsync(BatchesInFlight, "1", () => drain.WorkerAsync(messages));
        const string NoOp = "no-op consumer, auto-ack, same prefetch";
        return ([
            new("P4", $"drain rate of {messages:N0} queued messages, stored and deduplicated", rate, "msg/s", noOp, NoOp, "≥ 0.5×", rate >= 0.5 * noOp),
            new("P4", "drain rate against a no-op consumer that acks every batch (multiple), as a consumer that loses nothing must", rate, "msg/s", noOpManualAck, "no-op consumer, manual ack per half prefetch", "record", null),
            new("P4", "gain of overlapping batches: the drain rate against one batch at a time (`Messaging:BatchesInFlight=1`)", rate, "msg/s", serialRate, "one batch at a time", "record", null),
            new("P4", "worker peak RSS (VmHWM) after the drain, every message traced (Aspire's development default)", rss, "MB", null, "—", "≤ 150 MB", rss <= 150),
            new("P4", $"drain rate, {DeployedTraceSampleRatio:P0} of traces sampled (as deploy/kubernetes sets)", sampledRate, "msg/s", noOp, NoOp, "≥ 0.5×", sampledRate >= 0.5 * noOp),
            new("P4", $"worker peak RSS (VmHWM) after the drain, {DeployedTraceSampleRatio:P0} of traces sampled", sampledRss, "MB", null, "—", "≤ 150 MB", sampledRss <= 150),
            new("P4", "drain rate with a classic queue instead of the quorum one", classicRate, "msg/s", noOpClassic, "no-op consumer on a classic queue", "≥ 0.5×", classicRate >= 0.5 * noOpClassic),
            new("P4", "cost of the quorum queue: its drain rate against the classic queue's", rate, "msg/s", classicRate, "classic queue", "record", null),
        ], rate);
    }

    /// <summary>
    /// --ab KEY=VALUE: the drain with a worker setting against the same drain without it, median of 3 pairs. The pairs
    /// alternate which goes first, since each drain meets a larger table and more Redis keys than the one before.
    /// </summary>
    public async Task<Figure> CompareAsync(string key, string value, int messages)
    {
        var (without, with) = (new List<double>(), new List<double>());
        for (var pair = 0; pair < 3; pair++)
        {
            var order = pair % 2 == 0 ? new[] { false, true } : [true, false];
            foreach (var withSetting in order)
            {
                if (withSetting)
                {
                    with.Add((await WithSettingAsync(key, value, () => drain.WorkerAsync(messages))).Rate);
                }
                else
                {
                    without.Add((await drain.WorkerAsync(messages)).Rate);
                }
            }
        }

        return new("P4", $"drain rate with {key}={value}, median of 3 interleaved runs", with.Order().ElementAt(1), "msg/s", without.Order().ElementAt(1), "the same drain without it", "record", null);
    }

    // The worker restarts with the setting for the measurement; a --worker-env of the same key is restored after.
    private async Task<T> WithSettingAsync<T>(string key, string value, Func<Task<T>> measure)
    {
        var configured = app.WorkerSettings.GetValueOrDefault(key);
        app.WorkerSettings[key] = value;
        try
        {
            return await measure();
        }
        finally
        {
            if (configured is null)
            {
                app.WorkerSettings.Remove(key);
            }
            else
            {
                app.WorkerSettings[key] = configured;
            }
        }
    }
}
