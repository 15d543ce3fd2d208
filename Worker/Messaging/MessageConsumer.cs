using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Worker.Health;
using Worker.Storage;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// broker → buffer → batch → dedup → store → ack. Manual acks, sent only after the batch is committed. A failed batch
/// is retried with backoff and nothing new is consumed meanwhile (the prefetch window stays full), so an outage of
/// Postgres or Redis pauses consumption and the worker resumes by itself. On SIGTERM it drains in StoppingAsync,
/// which runs before Kestrel stops, so readiness still answers 500 while in-flight messages finish.
/// </summary>
public sealed partial class MessageConsumer(
    IServiceProvider services,
    SchemaMigrator migrator,
    QueueTopology topology,
    BatchProcessor processor,
    StartupProgress startup,
    HandlerWatchdog watchdog,
    WorkerTelemetry telemetry,
    TimeProvider time,
    IOptions<MessagingOptions> options,
    ILogger<MessageConsumer> logger) : BackgroundService, IHostedLifecycleService
{
    private readonly MessagingOptions _options = options.Value;
    private readonly Channel<Delivery> _buffer = Channel.CreateBounded<Delivery>(options.Value.Prefetch);
    private readonly CancellationTokenSource _drainDeadline = new();
    private IConnection? _connection;
    private ConnectionRecovery? _recovery;
    private IChannel? _channel;
    private IChannel? _confirmedChannel;
    private string? _consumerTag;
    private Task _loop = Task.CompletedTask;

    public ConsumerChannelState ChannelState =>
        _channel is null ? ConsumerChannelState.NotStarted
        : _channel.IsOpen ? ConsumerChannelState.Open
        : _recovery?.InProgress == true || _connection?.IsOpen != true ? ConsumerChannelState.Recovering
        : ConsumerChannelState.ClosedOnLiveConnection;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = Backoff(time, logger, "Start-up");
        await retry.ExecuteAsync(async ct => { await migrator.MigrateAsync(ct); startup.MarkMigrated(); }, stoppingToken);
        await retry.ExecuteAsync(StartConsumingAsync, stoppingToken);
        _loop = ProcessLoopAsync(_drainDeadline.Token);
        await _loop;
    }

    private async ValueTask StartConsumingAsync(CancellationToken ct)
    {
        // Aspire's IConnection connects on first resolution, retrying for ~30 s while the broker is down.
        if (_connection is null)
        {
            _connection = await Task.Run(services.GetRequiredService<IConnection>, ct);
            _recovery = ConnectionRecovery.Watch(_connection, time);
        }

        await CloseChannelsAsync(ct); // an earlier, failed attempt's
        _channel = await _connection.CreateChannelAsync(cancellationToken: ct);
        _confirmedChannel = await _connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        await topology.DeclareAsync(_channel, ct);
        startup.MarkTopologyDeclared();
        await _channel.BasicQosAsync(0, _options.Prefetch, global: false, ct);

        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        _consumerTag = await _channel.BasicConsumeAsync(_options.Queue, autoAck: false, consumer, ct);
        startup.MarkConsuming(true);
        LogConsuming(logger, _options.Queue, _options.Prefetch, _options.BatchSize);
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs message)
    {
        var traceParent = message.BasicProperties.Headers?.TryGetValue("traceparent", out var value) == true && value is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : null;
        try
        {
            await _buffer.Writer.WriteAsync(new Delivery(message.DeliveryTag, message.Body.ToArray(), traceParent, time.GetTimestamp()));
            telemetry.InFlight.Add(1);
        }
        catch (ChannelClosedException)
        {
            // Draining: left unacked, the broker requeues it when the channel closes.
        }
    }

    private async Task ProcessLoopAsync(CancellationToken deadline)
    {
        var retry = Backoff(time, logger, "A batch");
        var batch = new List<Delivery>(_options.BatchSize);
        while (await _buffer.Reader.WaitToReadAsync(deadline))
        {
            await FillAsync(batch, deadline);
            await retry.ExecuteAsync(AttemptAsync, batch, deadline);
            await AckAsync(batch, deadline);
            telemetry.InFlight.Add(-batch.Count);
            telemetry.HandlerDuration.Record(time.GetElapsedTime(batch[0].ReceivedAt).TotalSeconds);
            batch.Clear();
        }
    }

    private async Task AckAsync(List<Delivery> batch, CancellationToken ct)
    {
        try
        {
            await _channel!.BasicAckAsync(batch[^1].Tag, multiple: true, ct);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // The channel went down with the connection: the broker requeues these and the stored rows dedup them.
            LogAckLost(logger, ex, batch.Count);
        }
    }

    private async ValueTask AttemptAsync(List<Delivery> batch, CancellationToken deadline)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        attempt.CancelAfter(_options.AttemptTimeout);
        using var _ = watchdog.Track();
        // The token stops what honours it; WaitAsync bounds what does not (Aspire's Redis calls ignore tokens).
        await processor.ProcessAsync(batch, _confirmedChannel!, attempt.Token).WaitAsync(_options.AttemptTimeout, time, deadline);
    }

    private async Task FillAsync(List<Delivery> batch, CancellationToken ct)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
        window.CancelAfter(_options.BatchWindow);
        try
        {
            while (batch.Count < _options.BatchSize)
            {
                if (_buffer.Reader.TryRead(out var delivery))
                {
                    batch.Add(delivery);
                }
                else if (batch.Count > 0 && !await _buffer.Reader.WaitToReadAsync(window.Token))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The window closed: process what arrived.
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        startup.MarkConsuming(false);
        if (_channel is { IsOpen: true } && _consumerTag is not null)
        {
            await _channel.BasicCancelAsync(_consumerTag, cancellationToken: cancellationToken);
        }

        _buffer.Writer.TryComplete();
        _drainDeadline.CancelAfter(_options.DrainTimeout);
        try
        {
            await _loop;
            LogDrained(logger);
        }
        catch (OperationCanceledException)
        {
            LogDrainTimedOut(logger, _options.DrainTimeout);
        }
    }

    // Closing the channel hands every unacked message back to the queue.
    public Task StoppedAsync(CancellationToken cancellationToken) => CloseChannelsAsync(cancellationToken);

    private async Task CloseChannelsAsync(CancellationToken ct)
    {
        foreach (var channel in new[] { _channel, _confirmedChannel }.OfType<IChannel>())
        {
            if (channel.IsOpen)
            {
                await channel.CloseAsync(ct);
            }

            channel.Dispose();
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose()
    {
        _drainDeadline.Dispose();
        base.Dispose();
    }

    private static ResiliencePipeline Backoff(TimeProvider time, ILogger logger, string what) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new()
            {
                // Any failure, an attempt's own timeout included; the retry ends only when its token is cancelled.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    LogRetry(logger, args.Outcome.Exception, what, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue} with prefetch {Prefetch} and batches of up to {BatchSize}")]
    private static partial void LogConsuming(ILogger logger, string queue, ushort prefetch, int batchSize);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} failed (attempt {Attempt}); nothing acked, retrying in {Delay:0.0} s")]
    private static partial void LogRetry(ILogger logger, Exception? exception, string what, int attempt, double delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ack {Count} stored messages; they will be redelivered and deduplicated")]
    private static partial void LogAckLost(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: every in-flight message finished and was acked")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The drain did not finish within {Budget}; unacked messages go back to the queue")]
    private static partial void LogDrainTimedOut(ILogger logger, TimeSpan budget);
}
