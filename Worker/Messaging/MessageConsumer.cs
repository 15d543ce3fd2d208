using Microsoft.Extensions.Options;
using Polly;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Worker.Storage;

namespace Worker.Messaging;

/// <summary>
/// broker → in-flight window → batches (<see cref="BatchLoop"/>). Keeps a consumer registered for as long as the host
/// runs: when the broker cancels it (its queue was deleted) or closes its channel (a consumer timeout), the topology
/// is declared again and a new consumer registered, with backoff. A lost connection is the client's to recover. On
/// SIGTERM it drains in StoppingAsync, which runs before Kestrel stops, so readiness answers 500 meanwhile.
/// </summary>
public sealed partial class MessageConsumer(
    IServiceProvider services,
    SchemaMigrator migrator,
    QueueTopology topology,
    DeliveryReceiver receiver,
    BatchLoop batches,
    IDeadLetterPublisher deadLetters,
    ShutdownDrain drain,
    PipelineStatus status,
    TimeProvider time,
    IOptions<MessagingOptions> options,
    ILogger<MessageConsumer> logger) : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan PauseBeforeConsumingAgain = TimeSpan.FromSeconds(1);
    private const ushort AccessRefused = 403;
    private const ushort PreconditionFailed = 406;
    private readonly MessagingOptions _options = options.Value;
    private readonly CancellationTokenSource _stopConsuming = new();
    private readonly CancellationTokenSource _drainDeadline = new();
    private IConnection? _connection;
    private IChannel? _channel;
    private string? _consumerTag;
    private Task _loop = Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stop = _stopConsuming.Token;
        var start = Backoff.Forever(time, _ => true, (ex, attempt, delay) =>
        {
            status.RecordError("consuming", ex!);
            LogStartRetry(logger, ex, attempt, delay.TotalSeconds);
        });
        try
        {
            await start.ExecuteAsync(async ct => { await migrator.MigrateAsync(ct); status.MarkMigrated(); }, stop);
            _loop = RunBatchesAsync();
            while (!stop.IsCancellationRequested)
            {
                var lost = await start.ExecuteAsync(ConsumeAsync, stop);
                var reason = await lost.WaitAsync(stop);
                status.MarkConsumerGone(reason);
                LogConsumerLost(logger, reason);
                // A new channel each time: the client would register a consumer the broker cancelled again on its
                // channel's next recovery, beside the new one.
                if (_channel is not null)
                {
                    await _channel.DisposeAsync();
                    _channel = null;
                }
                await Task.Delay(PauseBeforeConsumingAgain, time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: StoppingAsync drains what is in flight.
        }
    }

    private async Task RunBatchesAsync()
    {
        try
        {
            await batches.RunAsync(_drainDeadline.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Never expected; liveness reads it, since only a restart brings the loop back.
            status.MarkLoopFailed(ex);
            LogLoopFailed(logger, ex);
            throw;
        }
    }

    /// <summary>Registers a consumer; the returned task completes, with the reason, when the consumer is lost.</summary>
    private async ValueTask<Task<string>> ConsumeAsync(CancellationToken ct)
    {
        if (_connection is null)
        {
            // Aspire's IConnection connects on first resolution, retrying for ~30 s while the broker is down.
            var connection = await Task.Run(services.GetRequiredService<IConnection>, ct);
            BrokerConnectionWatch.Watch(connection, status, logger);
            _connection = connection;
        }

        if (_channel is not { IsOpen: true })
        {
            // A channel the broker closed is not recovered by the client; disposing it also stops the client from
            // recovering it later beside the new one.
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }

            _channel = await _connection.CreateChannelAsync(cancellationToken: ct);
            await _channel.BasicQosAsync(0, _options.Prefetch, global: false, ct);
        }

        await deadLetters.OpenAsync(ct);
        await DeclareAsync(_channel, ct);

        var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += receiver.OnReceivedAsync;
        // Also raised when the client registers the consumer again after recovering the connection.
        consumer.RegisteredAsync += (_, _) => { status.MarkConsuming(); return Task.CompletedTask; };
        consumer.UnregisteredAsync += (_, _) => { lost.TrySetResult("the broker cancelled the consumer (its queue was deleted, or its leader stopped)"); return Task.CompletedTask; };
        consumer.ShutdownAsync += (_, e) =>
        {
            // With the connection down the client recovers channel and consumer; on a live connection it does not.
            if (_connection.IsOpen)
            {
                lost.TrySetResult($"the broker closed the consumer's channel: {e.ReplyCode} {e.ReplyText}");
            }

            return Task.CompletedTask;
        };
        _consumerTag = await _channel.BasicConsumeAsync(_options.Queue, autoAck: false, consumer, ct);
        status.MarkConsuming();
        LogConsuming(logger, _options.Queue, _options.QueueType, _options.Prefetch, _options.BatchSize);
        return lost.Task;
    }

    private async Task DeclareAsync(IChannel channel, CancellationToken ct)
    {
        try
        {
            await topology.DeclareAsync(channel, ct);
            status.MarkTopologyDeclared();
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode is PreconditionFailed or AccessRefused)
        {
            // The broker refuses what the worker declares, say a classic queue where a quorum one is declared. It is
            // retried with backoff (someone may fix the broker), and never counts against liveness: a restart would
            // meet the same refusal.
            var reason = $"the broker refuses the topology: {ex.ShutdownReason!.ReplyText}";
            if (status.ConsumerProblem != reason)
            {
                LogTopologyRefused(logger, reason);
            }

            status.MarkConsumerGone(reason, restartHelps: false);
            throw;
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopConsuming.CancelAsync();
        await receiver.StopAsync();
        status.MarkStopped();
        await drain.RunAsync(CancelConsumerAsync, _loop, _drainDeadline, _options.DrainTimeout);
    }

    private async Task CancelConsumerAsync(CancellationToken ct)
    {
        if (_channel is { IsOpen: true } channel && _consumerTag is not null)
        {
            await channel.BasicCancelAsync(_consumerTag, cancellationToken: ct);
        }
    }

    // Closing the channel hands every unacked message back to the queue.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } channel)
        {
            await channel.CloseAsync(cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose()
    {
        _channel?.Dispose();
        _stopConsuming.Dispose();
        _drainDeadline.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue} ({QueueType}) with prefetch {Prefetch} and batches of up to {BatchSize}")]
    private static partial void LogConsuming(ILogger logger, string queue, string queueType, ushort prefetch, int batchSize);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming failed (attempt {Attempt}); retrying in {Delay:0.0} s")]
    private static partial void LogStartRetry(ILogger logger, Exception? exception, int attempt, double delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot consume: {Reason}. Set Messaging:QueueType to the existing queue's type, or migrate it (README: Moving to a quorum queue)")]
    private static partial void LogTopologyRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consumer is gone: {Reason}; consuming again")]
    private static partial void LogConsumerLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The batch loop failed; liveness now fails so that the worker is restarted")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
