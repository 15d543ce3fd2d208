using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>The durable work queue, and the dead-letter exchange and queue its rejects and malformed messages go to.</summary>
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
    private static Dictionary<string, object?> WorkQueueArguments(MessagingOptions o) => o.QueueType == "quorum"
        ? new() { ["x-dead-letter-exchange"] = o.DeadLetterExchange, ["x-queue-type"] = "quorum", ["x-delivery-limit"] = o.DeliveryLimit }
        : new() { ["x-dead-letter-exchange"] = o.DeadLetterExchange };

    public async Task DeclareDeadLetterAsync(IChannel channel, CancellationToken ct)
    {
        var o = options.Value;
        await channel.ExchangeDeclareAsync(o.DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(o.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        await channel.QueueBindAsync(o.DeadLetterQueue, o.DeadLetterExchange, routingKey: "", cancellationToken: ct);
    }
}
