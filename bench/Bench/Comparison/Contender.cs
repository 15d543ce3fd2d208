namespace Bench.Comparison;

/// <summary>
/// A consumer the comparison measures: this worker, or a peer written with another framework. Each consumes its own
/// queue into its own table of the worker's shape, on the same servers.
/// </summary>
public abstract class Contender(string name) : IAsyncDisposable
{
    public string Name => name;

    /// <summary>The table it stores into.</summary>
    public abstract string Table { get; }

    /// <summary>Where it puts what it cannot store; null when it keeps nothing it refused.</summary>
    public abstract string? ErrorQueue { get; }

    /// <summary>Its readiness and liveness probes; null for a consumer that has none.</summary>
    public abstract Uri? Ready { get; }

    public abstract Uri? Alive { get; }

    /// <summary>The process, while it runs.</summary>
    public abstract int ProcessId { get; }

    /// <summary>Whether its process runs: one that exited on its own stores nothing more.</summary>
    public abstract bool IsRunning { get; }

    public abstract string Queue(string queueType);

    /// <summary>Starts it cold, on a queue of that type; returns once it consumes (its queue is declared and its readiness, if any, says so).</summary>
    public abstract Task StartAsync(string queueType);

    /// <summary>Stops it (SIGTERM) and waits until it has exited.</summary>
    public abstract Task StopAsync();

    /// <summary>SIGTERM or SIGKILL, and the wait until it has exited; it stays down.</summary>
    public abstract Task SignalAsync(string signal);

    /// <summary>Healthy answers: 204 from this worker, 200 from ASP.NET's health-check middleware as the peers map it.</summary>
    public static bool IsHealthy(int status) => status is >= 200 and < 300;

    public abstract ValueTask DisposeAsync();
}
