using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>
/// The durable work queue, the dead-letter exchange and queue its rejects and malformed messages go to, and the probe
/// queue readiness writes to.
/// </summary>
public sealed class QueueTopology(IOptions<MessagingOptions> options)
{
    public const string ReasonHeader = "x-dead-letter-reason";

    public async Task DeclareAsync(IChannel channel, CancellationToken ct)
    {
        var o = options.Value;
        await DeclareDeadLetterAsync(channel, ct);
        await channel.QueueDeclareAsync(o.Queue, durable: true, exclusive: false, autoDelete: false, arguments: WorkQueueArguments(o), cancellationToken: ct);
    }

    // Anything rejected by another consumer, or delivered too often, lands in the dead-letter queue instead of vanishing.
    private static Dictionary<string, object?> WorkQueueArguments(MessagingOptions o) => o.IsQuorum
        ? new() { ["x-dead-letter-exchange"] = o.DeadLetterExchange, ["x-queue-type"] = "quorum", ["x-delivery-limit"] = o.DeliveryLimit }
        : new() { ["x-dead-letter-exchange"] = o.DeadLetterExchange };

    public async Task DeclareDeadLetterAsync(IChannel channel, CancellationToken ct)
    {
        var o = options.Value;
        await channel.ExchangeDeclareAsync(o.DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        // Replicated like the work queue: a classic queue lives on one node, and with that node down a cluster refuses
        // to declare it (404, home node down), which would stop dead-lettering and so the consumer on every node.
        var arguments = o.IsQuorum ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        await channel.QueueDeclareAsync(o.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: ct);
        await channel.QueueBindAsync(o.DeadLetterQueue, o.DeadLetterExchange, routingKey: "", cancellationToken: ct);
    }

    /// <summary>
    /// Only with a quorum work queue, declared like it on every node: the broker confirms a write to it only
    /// once most of its nodes have it, so a confirm says the work queue, replicated alike, has a leader. A consumer on
    /// a queue whose leader is lost is neither cancelled nor told, and a passive declare still answers (measured on
    /// RabbitMQ 3.10), so nothing else shows it.
    /// </summary>
    public async Task DeclareProbeAsync(IChannel channel, CancellationToken ct)
    {
        var o = options.Value;
        if (o.IsQuorum)
        {
            await channel.QueueDeclareAsync(o.ProbeQueue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum", ["x-max-length"] = 1 }, cancellationToken: ct);
        }
    }
}
