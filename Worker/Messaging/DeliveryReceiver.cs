using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Polly;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// The consumer's handler: each delivery enters the in-flight window once its bytes fit. A body over
/// Messaging:MaxBodyBytes is dead-lettered from the client's own buffer while the handler runs, so it is never
/// copied or parsed; it joins the window only to be acked in order with its batch.
/// </summary>
public sealed partial class DeliveryReceiver : IDisposable
{
    private readonly InFlightWindow _window;
    private readonly IDeadLetterPublisher _deadLetters;
    private readonly PipelineStatus _status;
    private readonly WorkerTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly int _maxBodyBytes;
    private readonly ResiliencePipeline _deadLetterRetry;
    private readonly CancellationTokenSource _stop = new();

    public DeliveryReceiver(
        InFlightWindow window, IDeadLetterPublisher deadLetters, PipelineStatus status, WorkerTelemetry telemetry, TimeProvider time,
        IOptions<MessagingOptions> options, ILogger<DeliveryReceiver> logger)
    {
        (_window, _deadLetters, _status, _telemetry, _time, _maxBodyBytes) = (window, deadLetters, status, telemetry, time, options.Value.MaxBodyBytes);
        _deadLetterRetry = Backoff.Forever(time, _ => true, (ex, attempt, delay) =>
        {
            status.RecordError("a dead letter", ex!);
            LogDeadLetterRetry(logger, ex, attempt, delay.TotalSeconds);
        });
    }

    public async Task OnReceivedAsync(object sender, BasicDeliverEventArgs message)
    {
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        var stop = _stop.Token;
        try
        {
            Delivery delivery;
            if (message.Body.Length > _maxBodyBytes)
            {
                delivery = await DeadLetterOversizedAsync(channel, message, stop);
            }
            else
            {
                // Room first, then the copy: the byte bound holds for what this process holds.
                var bytes = await _window.ReserveAsync(message.Body.Length, stop);
                delivery = new Delivery(channel, message.DeliveryTag, message.Body.ToArray(), TraceParent(message), _time.GetTimestamp(), bytes, DeliverContext());
            }

            if (await _window.AddAsync(delivery, stop))
            {
                _status.AddInFlight(1);
                _telemetry.InFlight.Add(1);
            }
            else
            {
                delivery.Complete();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Draining: left unacked, the broker requeues it when the channel closes.
        }
    }

    /// <summary>Takes nothing more in: what arrives from now on stays unacked and goes back to the queue.</summary>
    public Task StopAsync() => _stop.CancelAsync();

    public void Dispose() => _stop.Dispose();

    private async Task<Delivery> DeadLetterOversizedAsync(IChannel channel, BasicDeliverEventArgs message, CancellationToken ct)
    {
        var reason = $"body-too-large: {message.Body.Length} bytes, the limit is {_maxBodyBytes}";
        await _deadLetterRetry.ExecuteAsync(token => new ValueTask(_deadLetters.PublishAsync(message.Body, reason, token)), ct);
        _telemetry.DeadLettered.Add(1);
        return Delivery.DeadLettered(channel, message.DeliveryTag, _time.GetTimestamp(), reason, DeliverContext());
    }

    // The client runs this handler inside its `deliver` span when it records one.
    private static ActivityContext DeliverContext() =>
        Activity.Current is { Source.Name: RabbitMQActivitySource.SubscriberSourceName } deliver ? deliver.Context : default;

    private static string? TraceParent(BasicDeliverEventArgs message) =>
        message.BasicProperties.Headers?.TryGetValue("traceparent", out var value) == true && value is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettering an oversized body failed (attempt {Attempt}); retrying in {Delay:0.0} s")]
    private static partial void LogDeadLetterRetry(ILogger logger, Exception? exception, int attempt, double delay);
}
