using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Worker.Messaging;

/// <summary>
/// Declares the topology and registers one consumer, each time on a new channel. A channel never holds two consumers:
/// a failed attempt closes its channel, since a consume-ok that arrives after the attempt gave up leaves a consumer at
/// the broker that the client does not know. Its deliveries would wait unprocessed on that channel, and an ack with
/// <c>multiple</c> by the next consumer there would ack them. Closing the channel cancels it and requeues what it got.
/// A lost consumer's channel is disposed too: the client would register a consumer the broker cancelled again on the
/// channel's next recovery, beside the new one.
/// </summary>
public sealed class ConsumerRegistration(
    QueueTopology topology, IDeadLetterPublisher deadLetters, DeliveryReceiver receiver, PipelineStatus status, TimeProvider time,
    IOptions<MessagingOptions> options)
{
    private readonly MessagingOptions _options = options.Value;

    public async Task<RegisteredConsumer> RegisterAsync(IConnection connection, CancellationToken ct)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            await channel.BasicQosAsync(0, _options.Prefetch, global: false, ct);
            await deadLetters.OpenAsync(ct);
            await topology.DeclareAsync(channel, ct);
            status.MarkTopologyDeclared();

            var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var accepted = new StrongBox<bool>();
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += receiver.OnReceivedAsync;
            // Raised when the client registers the consumer again after recovering the connection; a consume-ok that
            // comes after the attempt gave up raises it too, for a consumer that is being cancelled.
            consumer.RegisteredAsync += (_, _) =>
            {
                if (Volatile.Read(ref accepted.Value))
                {
                    status.MarkConsuming();
                }

                return Task.CompletedTask;
            };
            consumer.UnregisteredAsync += (_, _) => { lost.TrySetResult("the broker cancelled the consumer (its queue was deleted, or its node shut down)"); return Task.CompletedTask; };
            consumer.ShutdownAsync += (_, e) =>
            {
                // With the connection down the client recovers channel and consumer; on a live connection it does not.
                if (connection.IsOpen)
                {
                    lost.TrySetResult($"the broker closed the consumer's channel: {e.ReplyCode} {e.ReplyText}");
                }

                return Task.CompletedTask;
            };
            var tag = await channel.BasicConsumeAsync(_options.Queue, autoAck: false, consumer, ct);
            Volatile.Write(ref accepted.Value, true);
            return new RegisteredConsumer(channel, tag, lost.Task);
        }
        catch
        {
            // Closed by the broker (a refusal) or still open (a timeout): either way the client keeps it for recovery
            // until it is disposed, and would open it again on every recovery of the connection.
            await channel.DisposeWithinAsync(_options.AttemptTimeout, time);
            throw;
        }
    }
}
