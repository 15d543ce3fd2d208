using System.Diagnostics;
using Worker.Commands;
using Worker.Messaging;

namespace Bench.Scenarios;

/// <summary>
/// R2 and R3: a queue pre-filled with valid messages and poison spread among them (every kind the worker refuses,
/// oversized bodies optionally included). Every valid message must be stored and every poison one dead-lettered with
/// the reason of its kind, while readiness stays 204.
/// </summary>
public sealed class PoisonFlood(BenchApp app, Broker broker, Store store)
{
    private static readonly TimeSpan DrainWithin = TimeSpan.FromMinutes(10);

    /// <summary><paramref name="count"/> poison bodies, the kinds in turn; one in every kind-count+1 is oversized when asked.</summary>
    public static List<(string Kind, byte[] Body)> Mix(int count, bool oversized)
    {
        var kinds = SampleMessages.PoisonKinds.ToList();
        if (oversized)
        {
            var body = new byte[new MessagingOptions().MaxBodyBytes + 1];
            Array.Fill(body, (byte)' ');
            kinds.Add(("body-too-large", body));
        }

        return [.. Enumerable.Range(0, count).Select(i => kinds[i % kinds.Count])];
    }

    public async Task<IReadOnlyList<Figure>> MeasureAsync(string id, int valid, IReadOnlyList<(string Kind, byte[] Body)> poison, double validOnlyRate)
    {
        var prefix = $"{id.ToLowerInvariant()}{Guid.NewGuid():N}";
        var bodies = Interleave(valid, poison, prefix);
        await app.WhileWorkerStoppedAsync(async () =>
        {
            await broker.PurgeDeadLettersAsync();
            using var publishWithin = new CancellationTokenSource(DrainWithin);
            await broker.PublishAsync(bodies, 0, publishWithin.Token);
        });
        IReadOnlyList<ProbeSample> ready;
        long stored;
        await using (var readiness = new ProbeSampler(Stopwatch.StartNew(), () => app.Probe("/internal/ready"), 1, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)))
        {
            stored = await store.WaitForRowsAsync(prefix, valid, DrainWithin);
            var deadline = DateTime.UtcNow + DrainWithin;
            while (await broker.DeadLetterCountAsync() < poison.Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            ready = readiness.Samples;
        }

        var rate = stored == 0 ? 0 : valid / await store.StoreSpanSecondsAsync(prefix);
        var reasons = await broker.TakeDeadLetterReasonsAsync();
        var sentByKind = poison.CountBy(p => p.Kind).ToDictionary();
        var gotByKind = reasons.CountBy(r => r.Split(':')[0]).ToDictionary();
        var withTheirReason = sentByKind.Sum(k => Math.Min(k.Value, gotByKind.GetValueOrDefault(k.Key)));
        var notReady = ready.Count(s => s.Status != 204);
        var kinds = string.Join(", ", sentByKind.Keys.Order());
        var what = $"{poison.Count:N0} poison ({kinds}) among {valid:N0} valid";
        // 1 % of poison may cost the valid ones 5 %, 10 % of it 15 %.
        var goal = id == "R3" ? 0.95 : 0.85;
        return
        [
            new(id, $"{what}: valid messages stored", stored, "messages", valid, "valid sent", "all", stored == valid, Correctness: true),
            new(id, $"{what}: dead-lettered", reasons.Count, "messages", poison.Count, "poison sent", "all, once", reasons.Count == poison.Count, Correctness: true),
            new(id, $"{what}: dead letters with the reason of their kind", withTheirReason, "messages", poison.Count, "poison sent", "all", withTheirReason == poison.Count, Correctness: true),
            new(id, $"{what}: `/internal/ready` answers other than 204 during the drain", notReady, "answers", ready.Count, "answers in all", "0", notReady == 0, Correctness: true),
            new(id, $"{what}: drain rate of the valid ones", rate, "msg/s", validOnlyRate, "P4: valid messages only", $"≥ {goal}×", rate >= goal * validOnlyRate),
        ];
    }

    private static List<byte[]> Interleave(int valid, IReadOnlyList<(string Kind, byte[] Body)> poison, string prefix)
    {
        var bodies = new List<byte[]>(valid + poison.Count);
        var spacing = (double)(valid + poison.Count) / Math.Max(1, poison.Count);
        var nextPoison = spacing / 2;
        for (int i = 0, v = 0, p = 0; i < valid + poison.Count; i++)
        {
            if (p < poison.Count && (i >= nextPoison || v == valid))
            {
                bodies.Add(poison[p++].Body);
                nextPoison += spacing;
            }
            else
            {
                bodies.Add(SampleMessages.Valid($"{prefix}-{v++}"));
            }
        }

        return bodies;
    }
}
