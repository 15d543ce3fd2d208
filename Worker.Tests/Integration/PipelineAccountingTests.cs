using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Worker.Commands;
using Worker.Messaging;

namespace Worker.Tests.Integration;

/// <summary>
/// What the worker itself counts, logs and acks, against the real servers: each id stored once by the worker's own
/// account (the table's unique key would hide a double store), nothing in flight lost or redelivered at SIGTERM, and
/// oversized bodies dead-lettered, acked and counted.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class PipelineAccountingTests(AppFixture fixture)
{
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task Each_distinct_id_is_counted_stored_once_and_every_copy_of_it_as_a_duplicate()
    {
        await using var worker = await InProcessWorker.StartAsync(fixture);
        var plan = new PublishPlan(Count: 1000, DuplicateShare: 0.3, MalformedShare: 0, IdPrefix: $"a{Guid.NewGuid():N}", Seed: 9);
        var (bodies, ids, _) = SampleMessages.Build(plan);

        await worker.PublishAsync(bodies);

        await _backends.WaitForRowsAsync(plan.IdPrefix, ids.Count);
        await Within.UntilAsync(() => worker.Counter("worker.messages.processed") + worker.Counter("worker.messages.duplicate") == bodies.Count, InProcessWorker.Within, "every message accounted for");
        Assert.Equal(ids.Count, worker.Counter("worker.messages.processed"));
        Assert.Equal(bodies.Count - ids.Count, worker.Counter("worker.messages.duplicate"));
    }

    [Fact]
    public async Task At_sigterm_the_messages_in_flight_are_stored_and_acked_and_the_rest_go_back_unread()
    {
        var worker = await InProcessWorker.StartAsync(fixture, new Dictionary<string, string?> { ["Messaging:BatchSize"] = "32" });
        var prefix = $"d{Guid.NewGuid():N}";
        const int Count = 5000;
        await using (worker)
        {
            await worker.PublishAsync([.. Enumerable.Range(0, Count).Select(i => SampleMessages.Valid($"{prefix}-{i}"))]);
            await Within.UntilAsync(async () => await _backends.RowsAsync(prefix) >= 200, InProcessWorker.Within, "the worker consuming");

            await worker.StopAsync();
            Assert.Contains(worker.Logs, line => line.Contains("Drained: every in-flight message finished and was acked", StringComparison.Ordinal));
        }

        // A stored message that went back to the queue was not acked: the drain let it go. None may.
        var stored = await _backends.IdsAsync(prefix);
        var waiting = await TakeIdsAsync(worker.Queue);
        Assert.True(stored.Count is > 0 and < Count, $"{stored.Count} stored: the stop came too late or too early to test the drain.");
        Assert.DoesNotContain(waiting, stored.Contains);
        Assert.Equal(Count, stored.Count + waiting.Count);
    }

    [Fact]
    public async Task Oversized_bodies_are_dead_lettered_with_their_reason_acked_counted_and_warned_once_per_batch()
    {
        await using var worker = await InProcessWorker.StartAsync(fixture);
        var oversized = new byte[new MessagingOptions().MaxBodyBytes + 1];
        Array.Fill(oversized, (byte)'x');
        var prefix = $"o{Guid.NewGuid():N}";
        List<byte[]> bodies = [oversized, SampleMessages.Valid($"{prefix}-0"), oversized, SampleMessages.Valid($"{prefix}-1"), oversized];

        await worker.PublishAsync(bodies);

        await _backends.WaitForRowsAsync(prefix, 2);
        await Within.UntilAsync(() => worker.Counter("worker.messages.dead_lettered") == 3, InProcessWorker.Within, "three dead letters counted");
        await worker.StopAsync();
        var (ready, deadLetters) = await _backends.BrokerAsync(async channel =>
            ((await channel.QueueDeclarePassiveAsync(worker.Queue)).MessageCount, (await channel.QueueDeclarePassiveAsync($"{worker.Queue}.dead-letter")).MessageCount));
        Assert.Equal(0u, ready); // acked: the stop's channel close gave nothing back
        Assert.Equal(3u, deadLetters);
        var warnings = worker.Logs.Where(l => l.StartsWith("Warning: Dead-lettered", StringComparison.Ordinal)).ToList();
        Assert.InRange(warnings.Count, 1, 3);
        Assert.Equal(3, warnings.Sum(w => int.Parse(w.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(warnings, w => Assert.Contains("body-too-large", w, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_stored_id_is_marked_in_redis_for_the_configured_dedup_ttl()
    {
        await using var worker = await InProcessWorker.StartAsync(fixture, new Dictionary<string, string?> { ["Messaging:DedupTtl"] = "00:10:00" });
        var prefix = $"m{Guid.NewGuid():N}";

        await worker.PublishAsync([.. Enumerable.Range(0, 300).Select(i => SampleMessages.Valid($"{prefix}-{i}"))]);

        await _backends.WaitForRowsAsync(prefix, 300);
        await Within.UntilAsync(async () => await _backends.RedisKeysAsync($"worker:stored:*{prefix}") == 300, InProcessWorker.Within, "every stored id marked");
        var ttls = await _backends.RedisTimesToLiveAsync($"worker:stored:*{prefix}");
        Assert.All(ttls, ttl => Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public async Task Two_deployments_sharing_one_redis_with_the_same_queue_and_database_names_keep_their_marks_apart()
    {
        // Two clusters deployed from the same manifests: the same queue, host, port and database names, but two
        // databases. Here the second is the first one dropped and created again under its name.
        var name = $"deployment_{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?>
        {
            ["Messaging:Queue"] = $"shared-{Guid.NewGuid():N}",
            [$"ConnectionStrings:{Worker.Clients.ConnectionNames.Postgres}"] = await _backends.CreateDatabaseAsync(name),
        };
        var plan = new PublishPlan(Count: 300, DuplicateShare: 0, MalformedShare: 0, IdPrefix: $"t{Guid.NewGuid():N}", Seed: 4);
        var (bodies, ids, _) = SampleMessages.Build(plan);
        var database = new Backends(fixture.App, settings[$"ConnectionStrings:{Worker.Clients.ConnectionNames.Postgres}"]);
        var prefixes = new List<string>();

        foreach (var deployment in new[] { "first", "second" })
        {
            if (deployment == "second")
            {
                await _backends.CreateDatabaseAsync(name, replacing: true);
            }

            await using var worker = await InProcessWorker.StartAsync(fixture, settings);
            await worker.PublishAsync(bodies);
            await database.WaitForRowsAsync(plan.IdPrefix, ids.Count);

            // Neither met a mark of the other's as a row gone missing.
            Assert.Equal(0, worker.Counter("worker.dedup.stale_marks"));
            Assert.DoesNotContain(worker.Logs, line => line.Contains("have no row in the database", StringComparison.Ordinal));
            prefixes.Add(Worker.Storage.DedupCache.KeyPrefix(worker.Queue, worker.Services.GetRequiredService<Worker.Storage.SchemaMigrator>().DeploymentId!.Value));
        }

        Assert.NotEqual(prefixes[0], prefixes[1]);
        foreach (var keys in prefixes)
        {
            await Within.UntilAsync(async () => await _backends.RedisKeysAsync(keys + plan.IdPrefix) == ids.Count, InProcessWorker.Within, $"the ids marked under {keys}");
        }
    }

    private async Task<List<string>> TakeIdsAsync(string queue) => await _backends.BrokerAsync(async channel =>
    {
        var ids = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            ids.Add(System.Text.Json.JsonDocument.Parse(message.Body).RootElement.GetProperty("id").GetString()!);
        }

        return ids;
    });
}
