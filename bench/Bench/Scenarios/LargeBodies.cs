using System.Text.RegularExpressions;
using Worker.Commands;
using Harness;

namespace Bench.Scenarios;

/// <summary>
/// P6: the worker's peak memory draining large bodies: valid ones just under Messaging:MaxBodyBytes and a few far
/// over it, as large as the broker takes, which are dead-lettered unparsed. Judged against the memory limit
/// deploy/kubernetes sets.
/// </summary>
public sealed partial class LargeBodies(BenchApp app, Broker broker, Store store)
{
    private static readonly TimeSpan DrainWithin = TimeSpan.FromMinutes(10);

    public async Task<IReadOnlyList<Figure>> MeasureAsync(int valid, int validBytes, int large, int largeBytes)
    {
        var prefix = $"p6{Guid.NewGuid():N}";
        var padding = validBytes - SampleMessages.Valid($"{prefix}-0").Length;
        var largeBody = new byte[largeBytes];
        Array.Fill(largeBody, (byte)'x');
        var bodies = new List<byte[]>(valid + large);
        var every = valid / Math.Max(1, large);
        for (var i = 0; i < valid; i++)
        {
            bodies.Add(SampleMessages.Valid($"{prefix}-{i}", padding: padding));
            if (i % every == every / 2 && bodies.Count - i - 1 < large)
            {
                bodies.Add(largeBody);
            }
        }

        // The same worker, restarted, idle for a few seconds: what it holds before any body arrives.
        await app.WhileWorkerStoppedAsync(() => Task.CompletedTask);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idle = ProcessTree.PeakRssMb(app.WorkerProcessId());

        await app.WhileWorkerStoppedAsync(async () =>
        {
            await broker.PurgeDeadLettersAsync();
            using var publishWithin = new CancellationTokenSource(DrainWithin);
            await broker.PublishAsync(bodies, 0, publishWithin.Token);
        });
        var stored = await store.WaitForRowsAsync(prefix, valid, DrainWithin);
        var deadline = DateTime.UtcNow + DrainWithin;
        while (await broker.DeadLetterCountAsync() < large && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var peak = ProcessTree.PeakRssMb(app.WorkerProcessId());
        var deadLettered = (await broker.TakeDeadLetterReasonsAsync()).Count(r => r.StartsWith("body-too-large:", StringComparison.Ordinal));
        var limit = DeployedMemoryLimitMiB();
        var what = $"{valid:N0} bodies of {validBytes / 1000} KB and {large} of {largeBytes / 1024} KiB";
        return
        [
            new("P6", $"{what}: worker peak RSS (VmHWM) after the drain", peak, "MiB", limit, "memory limit in deploy/kubernetes", "≤ 0.6×: room to spare", peak <= 0.6 * limit),
            new("P6", "worker peak RSS (VmHWM) idle, before any body arrived", idle, "MiB", limit, "memory limit in deploy/kubernetes", "record", null),
            new("P6", $"{what}: valid ones stored", stored, "messages", valid, "valid sent", "all", stored == valid, Correctness: true),
            new("P6", $"{what}: large ones dead-lettered as body-too-large", deadLettered, "messages", large, "large sent", "all", deadLettered == large, Correctness: true),
        ];
    }

    private static double DeployedMemoryLimitMiB()
    {
        var yaml = File.ReadAllText(Path.Combine("deploy", "kubernetes", "worker.yaml"));
        return int.Parse(MemoryLimit().Match(yaml).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"limits:.*memory:\s*(\d+)Mi")]
    private static partial Regex MemoryLimit();
}
