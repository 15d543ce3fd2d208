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
    private readonly TimeSpan _attemptTimeout;
    private readonly ResiliencePipeline _deadLetterRetry;
    private readonly CancellationTokenSource _stop = new();

    public DeliveryReceiver(
        InFlightWindow window, IDeadLetterPublisher deadLetters, PipelineStatus status, WorkerTelemetry telemetry, TimeProvider time,
        IOptions<MessagingOptions> options, ILogger<DeliveryReceiver> logger)
    {
        (_window, _deadLetters, _status, _telemetry, _time) = (window, deadLetters, status, telemetry, time);
        (_maxBodyBytes, _attemptTimeout) = (options.Value.MaxBodyBytes, options.Value.AttemptTimeout);
        _deadLetterRetry = Backoff.Forever(time, _ => true, (ex, attempt, delay) =>
        {
            status.RecordError("a dead letter", ex!);
            LogDeadLetterRetry(logger, ex, attempt, delay.TotalSeconds);
        });
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

    private async Task<Delivery> DeadLetterOversizedAsync(IChannel channel, BasicDeliverEventArgs message, CancellationToken ct)
    {
        var reason = $"body-too-large: {message.Body.Length} bytes, the limit is {_maxBodyBytes}";
        await _deadLetterRetry.ExecuteAsync(async token =>
        {
            // Each attempt is bounded like every other broker call; the retry goes on until the token gives up.
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
            attempt.CancelAfter(_attemptTimeout);
            await _deadLetters.PublishAsync(message.Body, reason, attempt.Token).WaitAsync(_attemptTimeout, _time, token);
        }, ct);
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
