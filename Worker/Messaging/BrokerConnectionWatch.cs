using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>
/// Reports what the broker does to the consuming connection: a memory or disk alarm that blocks it, a shutdown, and
/// the client's recovery. The client recovers a lost connection by itself, channels and consumer included; until it
/// has, the consumer counts as gone but not lost, since a broker outage must never fail liveness.
/// </summary>
public static partial class BrokerConnectionWatch
{
    public const string ConsumerConnection = "consumer";

    /// <summary>Reports the broker's flow control on a connection: a blocked connection cannot publish or ack.</summary>
    public static void WatchFlow(IConnection connection, string name, PipelineStatus status, ILogger logger)
    {
        connection.ConnectionBlockedAsync += (_, e) =>
        {
            status.SetBlocked(name, e.Reason);
            LogBlocked(logger, name, e.Reason);
            return Task.CompletedTask;
        };
        connection.ConnectionUnblockedAsync += (_, _) =>
        {
            status.SetBlocked(name, null);
            LogUnblocked(logger, name);
            return Task.CompletedTask;
        };
        // A blocked connection that is lost never hears "unblocked"; the recovered one starts unblocked, and tells
        // again if the alarm still holds.
        connection.ConnectionShutdownAsync += (_, _) =>
        {
            status.SetBlocked(name, null);
            return Task.CompletedTask;
        };
    }

    public static void Watch(IConnection connection, PipelineStatus status, ILogger logger)
    {
        status.MarkConnected(connection.IsOpen);
        connection.ConnectionShutdownAsync += (_, e) =>
        {
            status.MarkConnected(false);
            // Whatever the consumer's state, but a stop: a drop while it is being registered counts too.
            if (status.Consumer != ConsumerState.Stopped)
            {
                status.MarkConsumerGone($"the broker connection is down ({e.ReplyCode} {e.ReplyText}); the client is recovering it");
            }

            return Task.CompletedTask;
        };
        connection.RecoverySucceededAsync += (_, _) =>
        {
            status.MarkConnected(true);
            return Task.CompletedTask;
        };
        WatchFlow(connection, ConsumerConnection, status, logger);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The broker blocks the {Connection} connection: {Reason}")]
    private static partial void LogBlocked(ILogger logger, string connection, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The broker unblocked the {Connection} connection")]
    private static partial void LogUnblocked(ILogger logger, string connection);
}
