using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// The consumer's handler: each delivery enters the in-flight window once its bytes fit, copied, since the client
/// reuses its buffer. A body over Messaging:MaxBodyBytes is copied too but never parsed: its batch dead-letters it as
/// body-too-large. Publishing it from here would hold the client's dispatcher, and every delivery and ack of the
/// connection with it, until the broker confirmed it. The broker's max_message_size bounds how large it can be.
/// </summary>
public sealed class DeliveryReceiver : IDisposable
{
    private readonly InFlightWindow _window;
    private readonly PipelineStatus _status;
    private readonly WorkerTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly int _maxBodyBytes;
    private readonly int _maxInFlightBytes;
    private readonly CancellationTokenSource _stop = new();

    public DeliveryReceiver(InFlightWindow window, PipelineStatus status, WorkerTelemetry telemetry, TimeProvider time, IOptions<MessagingOptions> options)
    {
        (_window, _status, _telemetry, _time) = (window, status, telemetry, time);
        (_maxBodyBytes, _maxInFlightBytes) = (options.Value.MaxBodyBytes, options.Value.MaxInFlightBytes);
    }

    public async Task OnReceivedAsync(object sender, BasicDeliverEventArgs message)
    {
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        // The client cancels the message's token when its channel shuts down, and waits for this handler before it
        // reads anything more on the connection: a handler that waits on must give up then, or the connection stalls.
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, message.CancellationToken);
        var stop = giveUp.Token;
        // Counted from receipt, so that a delivery that waits here for room is work waiting to the stall check.
        _status.AddInFlight(1);
        Delivery? delivery = null;
        try
        {
            var size = message.Body.Length;
            // Room first, then the copy: the byte bound holds for what this process holds. A body larger than the
            // whole budget (the broker accepts more than Messaging:MaxInFlightBytes) waits for all of it.
            var bytes = await _window.ReserveAsync(Math.Min(size, _maxInFlightBytes), stop);
            var refusal = size > _maxBodyBytes ? $"body-too-large: {size} bytes, the limit is {_maxBodyBytes}" : null;
            delivery = new Delivery(channel, message.DeliveryTag, message.Body.ToArray(), TraceParent(message), _time.GetTimestamp(), bytes, DeliverContext(), refusal);
            if (await _window.AddAsync(delivery, stop))
            {
                _telemetry.InFlight.Add(1);
                return;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Draining, or the channel is gone: left unacked, the broker requeues it.
        }

        delivery?.Complete();
        _status.AddInFlight(-1);
    }

    /// <summary>Takes nothing more in: what arrives from now on stays unacked and goes back to the queue.</summary>
    public Task StopAsync() => _stop.CancelAsync();

    public void Dispose() => _stop.Dispose();

    // The client runs this handler inside its `deliver` span when it records one.
    private static ActivityContext DeliverContext() =>
        Activity.Current is { Source.Name: RabbitMQActivitySource.SubscriberSourceName } deliver ? deliver.Context : default;

    private static string? TraceParent(BasicDeliverEventArgs message) =>
        message.BasicProperties.Headers?.TryGetValue("traceparent", out var value) == true && value is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : null;
}
