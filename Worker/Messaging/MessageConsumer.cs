using Microsoft.Extensions.Options;
using RabbitMQ.Client;
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
    ConsumerRegistration registration,
    DeliveryReceiver receiver,
    BatchLoop batches,
    ShutdownDrain drain,
    PipelineStatus status,
    TimeProvider time,
    IOptions<MessagingOptions> options,
    ILogger<MessageConsumer> logger) : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan PauseBeforeConsumingAgain = TimeSpan.FromSeconds(1);
    private readonly MessagingOptions _options = options.Value;
    private readonly CancellationTokenSource _stopConsuming = new();
    private readonly CancellationTokenSource _drainDeadline = new();
    private IConnection? _connection;
    private RegisteredConsumer? _consumer;
    private Task _loop = Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stop = _stopConsuming.Token;
        var start = Backoff.Forever(time, _ => true, (ex, attempt, delay) =>
        {
            status.RecordError("consuming", ex!);
            LogStartRetry(logger, ex, attempt, status.Migrated ? status.ConsumerProblem : "the schema migration failed", delay.TotalSeconds);
        });
        try
        {
            await start.ExecuteAsync(async ct => { await migrator.MigrateAsync(ct); status.MarkMigrated(); }, stop);
            _loop = RunBatchesAsync();
            while (!stop.IsCancellationRequested)
            {
                var consumer = _consumer = await start.ExecuteAsync(ConsumeAsync, stop);
                var reason = await consumer.Lost.WaitAsync(stop);
                // Losing a consumer is not yet a reason to restart: an attempt at consuming again that fails may be.
                status.MarkConsumerGone(reason, restartHelps: false);
                LogConsumerLost(logger, reason);
                // Taken first, so that a stop meanwhile never cancels or closes a channel being disposed.
                if (Interlocked.CompareExchange(ref _consumer, null, consumer) == consumer
                    && await consumer.Channel.DisposeWithinAsync(_options.AttemptTimeout, time) is { } failure)
                {
                    LogCloseFailed(logger, failure);
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

    /// <summary>One attempt, bounded like every other broker call, at registering a consumer.</summary>
    private async ValueTask<RegisteredConsumer> ConsumeAsync(CancellationToken ct)
    {
        if (_connection is null)
        {
            // Aspire's IConnection connects on first resolution, retrying for ~30 s while the broker is down.
            var connection = await Task.Run(services.GetRequiredService<IConnection>, ct);
            BrokerConnectionWatch.Watch(connection, status, logger);
            _connection = connection;
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(_options.AttemptTimeout);
        try
        {
            var consumer = await registration.RegisterAsync(_connection, attempt.Token);
            status.MarkConsuming();
            LogConsuming(logger, _options.Queue, _options.QueueType, _options.Prefetch, _options.BatchSize);
            return consumer;
        }
        catch (OperationInterruptedException ex) when (
            ex is not AlreadyClosedException && ex.ShutdownReason is { Initiator: ShutdownInitiator.Peer } answer && _connection.IsOpen)
        {
            // The broker answered and refused, closing a channel but not the connection: a queue declared with other
            // arguments (406), one another connection holds exclusively (405), no permission (403), a queue it cannot
            // serve. It is retried with backoff (someone may fix the broker), and never counts against liveness: a
            // restart would get the same answer. A connection it closes (a restart of the broker) is the client's to
            // recover, and the connection watch's to report.
            var reason = $"the broker refuses to serve the consumer: {answer.ReplyCode} {answer.ReplyText}";
            if (status.ConsumerProblem != reason)
            {
                LogRefused(logger, reason);
            }

            status.MarkConsumerGone(reason, restartHelps: false);
            throw;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && status.Consumer == ConsumerState.Gone)
        {
            var failure = await ConsumeFailure.ClassifyAsync(_connection, ex, attempt.IsCancellationRequested, _options, time, ct);
            status.MarkConsumerGone(failure.Reason, failure.RestartHelps);
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
        if (Volatile.Read(ref _consumer) is { Channel.IsOpen: true } consumer)
        {
            await consumer.Channel.BasicCancelAsync(consumer.Tag, cancellationToken: ct);
        }
    }

    // Closing the channel hands every unacked message back to the queue.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _consumer) is { Channel.IsOpen: true } consumer)
        {
            await consumer.Channel.CloseAsync(cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose()
    {
        _consumer?.Channel.Dispose();
        _stopConsuming.Dispose();
        _drainDeadline.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue} ({QueueType}) with prefetch {Prefetch} and batches of up to {BatchSize}")]
    private static partial void LogConsuming(ILogger logger, string queue, string queueType, ushort prefetch, int batchSize);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming failed (attempt {Attempt}): {Reason}; retrying in {Delay:0.0} s")]
    private static partial void LogStartRetry(ILogger logger, Exception? exception, int attempt, string? reason, double delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot consume: {Reason}. Liveness stays healthy, since a restart would meet the same answer. For a queue that exists with other arguments, set Messaging:QueueType to its type, or migrate it (README: Moving to a quorum queue)")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consumer is gone: {Reason}; consuming again")]
    private static partial void LogConsumerLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the lost consumer's channel failed; consuming again on a new one")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The batch loop failed; liveness now fails so that the worker is restarted")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
