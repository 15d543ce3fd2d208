using System.Diagnostics;
using Worker.Commands;
using Worker.Messaging;

namespace Bench.Scenarios;

/// <summary>
/// R2: a queue pre-filled with valid messages and a flood of malformed ones spread among them (every kind the worker
/// rejects, oversized bodies included). All must be dead-lettered with a reason while readiness stays 204.
/// </summary>
public sealed class MalformedFlood(BenchApp app, Broker broker, Store store)
{
    private static readonly TimeSpan DrainWithin = TimeSpan.FromMinutes(10);

    /// <param name="oversized">Whether one malformed message in six is a body over the size limit (64 KiB and more, so
    /// that share alone carries several times the bytes of all the valid ones).</param>
    public async Task<IReadOnlyList<Figure>> MeasureAsync(int valid, int malformed, double validOnlyRate, bool oversized)
    {
        var prefix = $"r2{Guid.NewGuid():N}";
        var bodies = Interleave(valid, malformed, prefix, oversized);
        await app.WhileWorkerStoppedAsync(async () =>
        {
            await broker.PurgeDeadLettersAsync();
            using var publishWithin = new CancellationTokenSource(DrainWithin);
            await broker.PublishAsync(bodies, 0, publishWithin.Token);
        });
        IReadOnlyList<ProbeSample> ready;
        await using (var readiness = new ProbeSampler(Stopwatch.StartNew(), () => app.Probe("/internal/ready"), 1, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)))
        {
            if (await store.WaitForRowsAsync(prefix, valid, DrainWithin) < valid)
            {
                throw new TimeoutException($"The worker did not store {valid:N0} valid messages among {malformed:N0} malformed ones within {DrainWithin.TotalMinutes} minutes.");
            }

            var deadline = DateTime.UtcNow + DrainWithin;
            while (await broker.DeadLetterCountAsync() < malformed && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            ready = readiness.Samples;
        }

        var rate = valid / await store.StoreSpanSecondsAsync(prefix);
        var reasons = await broker.TakeDeadLetterReasonsAsync();
        var withReason = reasons.Count(r => r.Length > 0);
        var kinds = reasons.Select(r => r.Split(':')[0]).Where(k => k.Length > 0).Distinct().Order().ToList();
        var notReady = ready.Count(s => s.Status != 204);
        var what = $"{malformed:N0} malformed ({(oversized ? "oversized bodies included" : "no oversized body")}) among {valid:N0} valid";
        return
        [
            new("R2", $"{what}: dead-lettered", reasons.Count, "messages", malformed, "malformed sent", "all", reasons.Count == malformed),
            new("R2", $"{what}: dead letters with a reason header", withReason, "messages", reasons.Count, "dead letters", "all", withReason == reasons.Count),
            new("R2", $"{what}: reasons seen ({string.Join(", ", kinds)})", kinds.Count, "kinds", null, "—", "record", null),
            new("R2", $"{what}: `/internal/ready` answers other than 204 during the drain", notReady, "answers", ready.Count, "answers in all", "0", notReady == 0),
            new("R2", $"{what}: drain rate of the valid ones", rate, "msg/s", validOnlyRate, "P4: valid messages only", "≥ 0.8×", rate >= 0.8 * validOnlyRate),
        ];
    }

    // SampleMessages' five malformed kinds, and a body over Messaging:MaxBodyBytes.
    private const int MalformedKinds = 6;

    private static List<byte[]> Interleave(int valid, int malformed, string prefix, bool withOversized)
    {
        var oversized = new byte[new MessagingOptions().MaxBodyBytes + 1];
        Array.Fill(oversized, (byte)' ');
        var bodies = new List<byte[]>(valid + malformed);
        var spacing = (double)(valid + malformed) / malformed;
        var nextMalformed = 0.0;
        for (int i = 0, v = 0, m = 0; i < valid + malformed; i++)
        {
            if (m < malformed && i >= nextMalformed)
            {
                bodies.Add(withOversized && m % MalformedKinds == MalformedKinds - 1 ? oversized : SampleMessages.Malformed(m));
                m++;
                nextMalformed += spacing;
            }
            else
            {
                bodies.Add(SampleMessages.Valid($"{prefix}-{v++}"));
            }
        }

        return bodies;
    }
}
