using System.Text;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>Sends a malformed message to the dead-letter exchange with its reason, confirmed before the original is acked.</summary>
public sealed class DeadLetterPublisher(IOptions<MessagingOptions> options)
{
    public async Task PublishAsync(IChannel confirmedChannel, Delivery delivery, string reason, CancellationToken ct)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            Headers = new Dictionary<string, object?>
            {
                [QueueTopology.ReasonHeader] = Encoding.UTF8.GetBytes(reason),
                ["x-original-queue"] = Encoding.UTF8.GetBytes(options.Value.Queue),
            },
        };
        // With publisher confirmations on, this returns once the broker has the message.
        await confirmedChannel.BasicPublishAsync(options.Value.DeadLetterExchange, routingKey: "", mandatory: false, properties, delivery.Body, ct);
    }
}
