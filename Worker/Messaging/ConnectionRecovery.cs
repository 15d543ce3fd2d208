using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>
/// Whether the client is recovering a connection: from its shutdown until the client reports the recovery done. The
/// connection reopens before its channels do, so IsOpen alone would read that moment as a channel closed on a live
/// connection, and fail liveness during an ordinary broker restart. The grace is bounded, so a recovery that never
/// reports back still ends up failing liveness.
/// </summary>
public sealed class ConnectionRecovery(TimeProvider time)
{
    public static readonly TimeSpan MaxRecovery = TimeSpan.FromMinutes(1);
    private long _shutdownAt; // 0: no recovery under way

    public bool InProgress => Volatile.Read(ref _shutdownAt) is var at && at != 0 && time.GetElapsedTime(at) < MaxRecovery;

    public static ConnectionRecovery Watch(IConnection connection, TimeProvider time)
    {
        var recovery = new ConnectionRecovery(time);
        connection.ConnectionShutdownAsync += (_, _) => recovery.OnShutdown();
        connection.RecoverySucceededAsync += (_, _) => recovery.OnRecovered();
        return recovery;
    }

    public Task OnShutdown()
    {
        Volatile.Write(ref _shutdownAt, Math.Max(1, time.GetTimestamp()));
        return Task.CompletedTask;
    }

    public Task OnRecovered()
    {
        Volatile.Write(ref _shutdownAt, 0);
        return Task.CompletedTask;
    }
}
