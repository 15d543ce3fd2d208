using System.Text;
using AppHost.BackingServices;
using RabbitMQ.Client.Exceptions;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;
using Xunit.Abstractions;

namespace Worker.Tests.Integration;

/// <summary>
/// Bodies as large as the broker takes, against the real broker and the running worker under the deployment's memory
/// limit. RabbitMQ counts prefetch in messages, and the client holds every body it was sent before the worker sees
/// one, so only the broker's max_message_size bounds what the process holds. Both modes run these: the broker's limit
/// is set in its config file in one and in its container's environment in the other
/// (<see cref="ProcessesLargeBodyTests"/>, <see cref="Containers.ContainersLargeBodyTests"/>).
/// </summary>
public abstract class LargeBodyTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    where TFixture : AppFixture
{
    // deploy/kubernetes/worker.yaml's limit (KubernetesOverlayTests holds the prefetch and the broker's limit to it).
    private const long PodMemoryLimit = 384L * 1024 * 1024;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(120);
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task A_prefetch_of_the_largest_bodies_the_broker_takes_under_the_pods_memory_limit_is_dead_lettered_and_nothing_is_killed()
    {
        await fixture.Probes.WaitForReadyAsync(204, Within, "before the large bodies");
        var marker = $"l{Guid.NewGuid():N}";
        var prefetch = new MessagingOptions().Prefetch;
        // 100 valid messages spread among them, one after every fifth.
        const int Valid = 100;
        var bodies = new List<byte[]>();
        for (var i = 0; i < prefetch; i++)
        {
            bodies.Add(Body($"{marker}-big-{i}", BrokerMessageLimit.DefaultBytes));
            if (i % 5 == 0 && i / 5 < Valid)
            {
                bodies.Add(SampleMessages.Valid($"{marker}-{i / 5}"));
            }
        }

        var worker = fixture.WorkerProcessId();
        using var cgroup = MemoryCgroup.Create($"worker-{marker}", PodMemoryLimit);
        cgroup.Add(worker);
        // Paused, so that everything is queued when it resumes and the broker sends it a whole prefetch at once.
        await ProcessTree.SignalAsync(worker, "STOP");
        try
        {
            await using var publisher = await _backends.PublisherAsync();
            using var cancel = new CancellationTokenSource(Within);
            await publisher.PublishAsync(bodies, 0, cancel.Token);
        }
        finally
        {
            await ProcessTree.SignalAsync(worker, "CONT");
        }

        await _backends.WaitForRowsAsync(marker, Valid);
        var deadLetters = await _backends.TakeDeadLettersAsync($"{marker}-big-", prefetch, Within);
        output.WriteLine($"the worker held {cgroup.ResidentAtEntryBytes / (1024 * 1024)} MiB when paused, and took at most {cgroup.ChargedPeakBytes / (1024 * 1024)} MiB more; the limit is {PodMemoryLimit / (1024 * 1024)} MiB");
        Assert.Equal(0, cgroup.OomKills);
        // With room: a quarter of the limit is left for what the pod holds beside (a page cache, a heap the GC grows).
        Assert.True(cgroup.ResidentAtEntryBytes + cgroup.ChargedPeakBytes <= PodMemoryLimit * 3 / 4, "Less than a quarter of the limit to spare.");
        Assert.Equal(worker, fixture.WorkerProcessId());
        Assert.Equal(prefetch, deadLetters.Count);
        Assert.All(deadLetters, d => Assert.StartsWith("body-too-large: ", d.Reason, StringComparison.Ordinal));
        await fixture.Probes.WaitForReadyAsync(204, Within, "after the large bodies");
    }

    [Fact]
    public async Task A_body_over_the_brokers_limit_is_refused_to_its_publisher_with_the_reason()
    {
        await using var publisher = await _backends.PublisherAsync();
        using var cancel = new CancellationTokenSource(Within);

        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(
            () => publisher.PublishAsync([Body($"r{Guid.NewGuid():N}", 2 * 1024 * 1024)], 0, cancel.Token));

        Assert.Contains($"is larger than configured max size {BrokerMessageLimit.DefaultBytes}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_body_waiting_for_its_dead_letters_confirm_holds_up_no_delivery_behind_it()
    {
        var broker = new Uri(await fixture.ConnectionStringAsync("rabbitmq"));
        // Below Messaging:AttemptTimeout, so that the dead letter is confirmed once and no attempt is retried.
        await using var proxy = new FrameDelayProxy(broker, FrameDelayProxy.Confirm, TimeSpan.FromSeconds(10), armed: false);
        await using var worker = await InProcessWorker.StartAsync(fixture, new Dictionary<string, string?> { ["ConnectionStrings:rabbitmq"] = proxy.Through(broker).ToString() });
        var marker = $"c{Guid.NewGuid():N}";
        List<byte[]> bodies = [Body($"{marker}-big", new MessagingOptions().MaxBodyBytes + 1), .. Enumerable.Range(0, 50).Select(i => SampleMessages.Valid($"{marker}-{i}"))];

        // Only the dead-letter connection publishes with confirms: from its next one on, the broker's side waits.
        proxy.Arm();
        await worker.PublishAsync(bodies);

        await _backends.WaitForRowsAsync(marker, 50);
        Assert.False(proxy.Released, "The deliveries behind the oversized body were stored only once its dead letter was confirmed.");
        Assert.Equal(1, proxy.Delayed);
        var deadLetter = Assert.Single(await _backends.TakeDeadLettersAsync($"{marker}-big", 1, Within, worker.Queue));
        Assert.StartsWith("body-too-large: ", deadLetter.Reason, StringComparison.Ordinal);
    }

    // Valid JSON with an id, padded to exactly the size: only its size makes it poison.
    private static byte[] Body(string id, int size)
    {
        var head = $"{{\"id\":\"{id}\",\"type\":\"t\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"payload\":{{\"pad\":\"";
        const string Tail = "\"}}";
        return Encoding.UTF8.GetBytes(head + new string('x', size - head.Length - Tail.Length) + Tail);
    }
}

[Collection(nameof(AppCollection))]
public sealed class ProcessesLargeBodyTests(AppFixture fixture, ITestOutputHelper output) : LargeBodyTests<AppFixture>(fixture, output);
