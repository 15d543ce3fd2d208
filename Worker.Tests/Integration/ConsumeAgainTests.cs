using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using ServiceDefaults.Probes;
using Worker.Commands;
using Worker.Messaging;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// The consumer registered again after it was lost, against the real broker: a late consume-ok leaves no second
/// consumer behind, and a broker that answers with a refusal fails readiness but never liveness, since a restart
/// would get the same answer. Each worker has a queue of its own and a 10 s Messaging:ConsumerLostThreshold.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class ConsumeAgainTests(AppFixture fixture)
{
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(10);
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task A_consume_ok_that_comes_after_the_attempt_gave_up_leaves_one_consumer_and_every_message_is_stored()
    {
        var queue = $"late-{Guid.NewGuid():N}";
        var prefix = $"g{Guid.NewGuid():N}";
        var broker = new Uri(await fixture.ConnectionStringAsync("rabbitmq"));
        // Queued first, so that a consumer the broker registers gets deliveries at once.
        await using (var publisher = await SamplePublisher.ConnectAsync(broker.ToString(), new MessagingOptions { Queue = queue }, CancellationToken.None))
        {
            using var cancel = new CancellationTokenSource(InProcessWorker.Within);
            await publisher.PublishAsync([.. Enumerable.Range(0, 300).Select(i => SampleMessages.Valid($"{prefix}-{i}"))], 0, cancel.Token);
        }

        // Past the client's own 20 s continuation timeout and the worker's 2 s attempt bound.
        await using var proxy = new FrameDelayProxy(broker, FrameDelayProxy.ConsumeOk, TimeSpan.FromSeconds(25));
        await using var worker = await InProcessWorker.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = proxy.Through(broker).ToString(),
            ["Messaging:Queue"] = queue,
            ["Messaging:AttemptTimeout"] = "00:00:02",
        });

        await _backends.WaitForRowsAsync(prefix, 300);
        Assert.Equal(1, proxy.Delayed);
        var consumers = (await fixture.BrokerCtlAsync("list_consumers", "queue_name", "channel_pid")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith(queue + "\t", StringComparison.Ordinal)).ToList();
        Assert.True(consumers.Count == 1, $"Consumers on the queue: {string.Join(" | ", consumers)}");
        await DeleteQueueAsync(queue);
    }

    [Fact]
    public async Task A_queue_another_connection_holds_exclusively_fails_readiness_never_liveness_and_is_consumed_once_released()
    {
        await using var worker = await StartAsync();
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.ConnectionStringAsync("rabbitmq")) };
        var holder = await factory.CreateConnectionAsync();
        await using (holder)
        {
            var channel = await holder.CreateChannelAsync();
            await channel.QueueDeleteAsync(worker.Queue);
            await channel.QueueDeclareAsync(worker.Queue, durable: false, exclusive: true, autoDelete: false);

            await AssertRefusedPastThresholdAsync(worker, "405 RESOURCE_LOCKED");
        }

        await WaitForReadyAsync(worker, "the exclusive queue went with its connection");
        await DeleteQueueAsync(worker.Queue);
    }

    [Fact]
    public async Task A_dead_letter_queue_redeclared_with_other_arguments_fails_readiness_never_liveness_and_is_consumed_once_fixed()
    {
        await using var worker = await StartAsync();
        var deadLetterQueue = new MessagingOptions { Queue = worker.Queue }.DeadLetterQueue;
        await _backends.BrokerAsync(async channel =>
        {
            await channel.QueueDeleteAsync(deadLetterQueue);
            return await channel.QueueDeclareAsync(deadLetterQueue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-max-length"] = 1000 });
        });

        // A dead letter now routes nowhere: the worker drops its dead-letter channel and opens a new one, which the
        // broker refuses. Then the consumer is lost, and consuming again opens that channel first.
        // Published without declaring, since the sample publisher would declare the dead-letter queue too.
        await _backends.BrokerAsync(async channel =>
        {
            await channel.BasicPublishAsync("", worker.Queue, SampleMessages.PoisonKinds[0].Body);
            return true;
        });
        var status = worker.Services.GetRequiredService<PipelineStatus>();
        await Within.UntilAsync(() => status.DeadLetterProblem?.Contains("PRECONDITION_FAILED", StringComparison.Ordinal) == true,
            InProcessWorker.Within, $"the dead-letter topology refused (now: {status.DeadLetterProblem})");
        await DeleteQueueAsync(worker.Queue);

        await AssertRefusedPastThresholdAsync(worker, "406 PRECONDITION_FAILED");

        await DeleteQueueAsync(deadLetterQueue);
        await WaitForReadyAsync(worker, "the dead-letter queue was deleted, so the worker declares it again");
        await DeleteQueueAsync(worker.Queue);
    }

    private Task<InProcessWorker> StartAsync() => InProcessWorker.StartAsync(fixture, new Dictionary<string, string?>
    {
        ["Messaging:ConsumerLostThreshold"] = Threshold.ToString(),
    });

    /// <summary>Readiness fails with the broker's answer, and liveness holds well past the threshold.</summary>
    private static async Task AssertRefusedPastThresholdAsync(InProcessWorker worker, string answer)
    {
        var status = worker.Services.GetRequiredService<PipelineStatus>();
        var probes = worker.Services.GetRequiredService<ProbeState>();
        await Within.UntilAsync(() => !probes.IsReady, InProcessWorker.Within, "readiness failing without a consumer");
        for (var until = DateTime.UtcNow + Threshold + TimeSpan.FromSeconds(5); DateTime.UtcNow < until; await Task.Delay(200))
        {
            Assert.True(probes.IsAlive, $"Liveness failed although a restart would get the same answer: {status.ConsumerProblem}");
            Assert.False(probes.IsReady, "Ready without a consumer.");
        }

        Assert.Contains(answer, status.ConsumerProblem);
        Assert.Contains(worker.Logs, line => line.Contains($"Cannot consume: the broker refuses to serve the consumer: {answer}", StringComparison.Ordinal));
    }

    private static async Task WaitForReadyAsync(InProcessWorker worker, string what)
    {
        var probes = worker.Services.GetRequiredService<ProbeState>();
        await Within.UntilAsync(() => probes.IsReady, InProcessWorker.Within, $"ready again: {what}");
    }

    private Task DeleteQueueAsync(string queue) => _backends.BrokerAsync(async channel => await channel.QueueDeleteAsync(queue));

}
