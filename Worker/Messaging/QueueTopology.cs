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
        // Anything rejected by another consumer lands in the dead-letter queue too, instead of vanishing.
        await channel.QueueDeclareAsync(o.Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-dead-letter-exchange"] = o.DeadLetterExchange }, cancellationToken: ct);
    }

    public async Task DeclareDeadLetterAsync(IChannel channel, CancellationToken ct)
    {
        var o = options.Value;
        await channel.ExchangeDeclareAsync(o.DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(o.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        await channel.QueueBindAsync(o.DeadLetterQueue, o.DeadLetterExchange, routingKey: "", cancellationToken: ct);
    }
}
