using System.Text;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Worker.Messaging;

/// <summary>Where messages go that the worker will not store, each with its reason.</summary>
public interface IDeadLetterPublisher
{
    /// <summary>Opens the connection and channel ahead of the first dead letter, so that their problems show early.</summary>
    Task OpenAsync(CancellationToken ct);

    /// <summary>
    /// Publishes an empty message to the probe queue and waits for its confirm. RabbitMQ tells a connection of a memory
    /// or disk alarm (connection.blocked) only when it publishes during one, so readiness learns of an alarm this way
    /// rather than from the first dead letter that waits for it; and a quorum probe queue confirms only while most of
    /// its nodes run (<see cref="QueueTopology.DeclareProbeAsync"/>).
    /// </summary>
    Task ProbeAsync(CancellationToken ct);

    /// <summary>Returns once the dead letter is safe with the broker; throws otherwise.</summary>
    Task PublishAsync(ReadOnlyMemory<byte> body, string reason, CancellationToken ct);
}

/// <summary>
/// Sends a message to the dead-letter exchange with its reason. A dead letter counts only once the broker has routed
/// it to a queue (mandatory) and confirmed it; until then the original stays unacked. It has a connection of its own,
/// so that a publish the broker blocks (a memory or disk alarm) cannot hold up the consumer's acks, and a channel
/// the broker closes (say, the exchange was deleted) is reopened and the topology declared again.
/// </summary>
public sealed partial class DeadLetterPublisher(
    IConnectionFactory factory, QueueTopology topology, PipelineStatus status, TimeProvider time, IOptions<MessagingOptions> options,
    ILogger<DeadLetterPublisher> logger)
    : IDeadLetterPublisher, IAsyncDisposable
{
    private const string ConnectionName = "dead letters";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task OpenAsync(CancellationToken ct) => await ChannelAsync(ct);

    public async Task PublishAsync(ReadOnlyMemory<byte> body, string reason, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        var properties = new BasicProperties
        {
            Persistent = true,
            Headers = new Dictionary<string, object?>
            {
                [QueueTopology.ReasonHeader] = Encoding.UTF8.GetBytes(reason),
                ["x-original-queue"] = Encoding.UTF8.GetBytes(options.Value.Queue),
            },
        };
        try
        {
            await channel.BasicPublishAsync(options.Value.DeadLetterExchange, routingKey: "", mandatory: true, properties, body, ct);
            status.SetDeadLetterProblem(null);
        }
        catch (PublishException ex) when (ex.IsReturn)
        {
            // Routed nowhere: the dead-letter queue or its binding is gone. Declare them again before the retry.
            status.SetDeadLetterProblem("a dead letter was returned unroutable; declaring the dead-letter queue again");
            await ForgetChannelAsync(channel);
            throw;
        }
        catch (Exception ex)
        {
            status.SetDeadLetterProblem($"publishing a dead letter failed: {ex.Message}");
            await ForgetChannelAsync(channel);
            throw;
        }
    }

    private async ValueTask<IChannel> ChannelAsync(CancellationToken ct)
    {
        // The client recovers this channel with its connection; a problem seen meanwhile clears on the next confirm.
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_channel is { IsOpen: true } reopened)
            {
                return reopened;
            }

            var channel = await OpenChannelAsync(topology.DeclareDeadLetterAsync, ct);
            if (_channel is not null)
            {
                LogReopened(logger);
            }

            status.SetDeadLetterProblem(null);
            return _channel = channel;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            status.SetDeadLetterProblem($"cannot open the dead-letter channel: {ex.Message}");
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Under the gate. A channel with confirms, and what it publishes to declared.
    private async Task<IChannel> OpenChannelAsync(Func<IChannel, CancellationToken, Task> declare, CancellationToken ct)
    {
        _connection ??= await ConnectAsync(ct);
        var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        try
        {
            await declare(channel, ct);
            return channel;
        }
        catch
        {
            // Closed by the broker's refusal, or left open by a cancel: the client keeps it for recovery until it is
            // disposed, and would open it again on every recovery of the connection.
            await channel.DisposeWithinAsync(options.Value.AttemptTimeout, time);
            throw;
        }
    }

    private async Task<IConnection> ConnectAsync(CancellationToken ct)
    {
        var connection = await factory.CreateConnectionAsync(ConnectionName, ct);
        BrokerConnectionWatch.WatchFlow(connection, ConnectionName, status, logger);
        return connection;
    }

    // Concurrent publishes may all fail on the same channel; the first to get here drops it.
    private async Task ForgetChannelAsync(IChannel channel)
    {
        await _gate.WaitAsync();
        try
        {
            if (!ReferenceEquals(_channel, channel))
            {
                return;
            }

            _channel = null;
        }
        finally
        {
            _gate.Release();
        }

        if (await channel.DisposeWithinAsync(options.Value.AttemptTimeout, time) is { } failure)
        {
            LogCloseFailed(logger, failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in new[] { _channel, _probeChannel }.OfType<IChannel>())
        {
            await channel.DisposeWithinAsync(options.Value.AttemptTimeout, time);
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the failed dead-letter channel failed; a new one is opened anyway")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The dead-letter channel is open again and its topology declared")]
    private static partial void LogReopened(ILogger logger);
}
