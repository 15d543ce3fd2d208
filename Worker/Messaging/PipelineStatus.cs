using System.Collections.Concurrent;

namespace Worker.Messaging;

public enum ConsumerState
{
    /// <summary>Not consuming yet: start-up has not got that far.</summary>
    NotStarted,

    /// <summary>A consumer is registered on an open channel.</summary>
    Consuming,

    /// <summary>No consumer: the broker cancelled it or closed its channel, or the connection is down.</summary>
    Gone,

    /// <summary>The host is stopping: the consumer was cancelled on purpose.</summary>
    Stopped,
}

/// <summary>
/// What the message pipeline says about itself. The pipeline writes it; the health checks (Worker/Health) only read
/// it, so no check calls back into the pipeline and the pipeline knows nothing of probes.
/// </summary>
public sealed class PipelineStatus(TimeProvider time)
{
    private readonly ConcurrentDictionary<long, long> _attempts = new();
    private long _nextAttempt;
    // The in-flight count and the start of its wait change together, under this lock: as two atomic steps, the last
    // ack could clear the wait a delivery arriving between them had just started, and a stall would go unseen.
    private readonly Lock _window = new();
    private long _inFlight;
    private long _waitingSince;
    private long _lastProgressAt = time.GetTimestamp();
    private long _consumerGoneAt;
    private long _connectedSince;
    private volatile bool _restartHelps;
    private volatile ConsumerState _consumer;
    private volatile bool _migrated;
    private volatile bool _topologyDeclared;
    private volatile string? _consumerProblem;
    private volatile string? _lastError;
    private volatile string? _deadLetterProblem;
    private volatile string? _loopFailure;
    private readonly ConcurrentDictionary<string, string> _blocked = new(StringComparer.Ordinal);

    public bool Migrated => _migrated;

    public bool TopologyDeclared => _topologyDeclared;

    public ConsumerState Consumer => _consumer;

    /// <summary>Why the consumer is not consuming, while it is not; for the logs the health checks write.</summary>
    public string? ConsumerProblem => _consumerProblem;

    /// <summary>
    /// How long the worker has had no consumer while its broker connection was open and a restart could help: the
    /// liveness clock. Zero while consuming, while the connection is down (an outage: the client recovers it), and
    /// while the broker answers with a refusal (a restart would meet the same answer).
    /// </summary>
    public TimeSpan ConsumerLostFor =>
        _consumer == ConsumerState.Gone && _restartHelps
        && Volatile.Read(ref _connectedSince) is var connected and not 0 && Volatile.Read(ref _consumerGoneAt) is var gone and not 0
            ? time.GetElapsedTime(Math.Max(connected, gone))
            : TimeSpan.Zero;

    /// <summary>Deliveries received and not yet acked.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>How long deliveries have been in flight without the window ever emptying; zero when none is.</summary>
    public TimeSpan WaitingFor => Interlocked.Read(ref _waitingSince) is var since and not 0 ? time.GetElapsedTime(since) : TimeSpan.Zero;

    /// <summary>Time since a batch last completed (stored, deduplicated or dead-lettered, and acked).</summary>
    public TimeSpan SinceProgress => time.GetElapsedTime(Interlocked.Read(ref _lastProgressAt));

    /// <summary>The last failure of an attempt, of the consumer's start, or of a dead letter: what a stall names.</summary>
    public string? LastError => _lastError;

    /// <summary>Why the loop that processes batches ended, which it must never do while the host runs; or null.</summary>
    public string? LoopFailure => _loopFailure;

    /// <summary>Why dead letters cannot be published right now, or null.</summary>
    public string? DeadLetterProblem => _deadLetterProblem;

    /// <summary>The broker's flow-control alarms, by connection: it blocks publishing while memory or disk is short.</summary>
    public IReadOnlyDictionary<string, string> Blocked => _blocked;

    /// <summary>The longest-running attempt at a batch, zero when none runs.</summary>
    public TimeSpan LongestAttempt =>
        _attempts.Values.Select(started => time.GetElapsedTime(started)).DefaultIfEmpty(TimeSpan.Zero).Max();

    public void MarkMigrated() => _migrated = true;

    public void MarkTopologyDeclared() => _topologyDeclared = true;

    public void MarkConsuming()
    {
        _consumerProblem = null;
        Volatile.Write(ref _consumerGoneAt, 0);
        _consumer = ConsumerState.Consuming;
    }

    /// <param name="restartHelps">False when the broker refuses what the worker asks (a queue declared with other
    /// arguments, say): restarting would only meet the same refusal, so liveness must not fail for it.</param>
    public void MarkConsumerGone(string reason, bool restartHelps = true)
    {
        _consumerProblem = reason;
        var now = Math.Max(1, time.GetTimestamp());
        if (restartHelps && !_restartHelps)
        {
            // The liveness clock starts when a restart could first help, not when a refusal began.
            Volatile.Write(ref _consumerGoneAt, now);
        }
        else
        {
            Interlocked.CompareExchange(ref _consumerGoneAt, now, 0);
        }

        _restartHelps = restartHelps;
        if (_consumer != ConsumerState.Stopped)
        {
            _consumer = ConsumerState.Gone;
        }
    }

    public void MarkStopped() => _consumer = ConsumerState.Stopped;

    /// <summary>The consuming connection is open (true) or down and being recovered by the client (false).</summary>
    public void MarkConnected(bool connected) =>
        Volatile.Write(ref _connectedSince, connected ? Math.Max(1, time.GetTimestamp()) : 0);

    /// <summary>Deliveries received (positive) or given back unprocessed (negative).</summary>
    public void AddInFlight(int count) => MoveWindow(count);

    public void RecordProgress(int completed)
    {
        MoveWindow(-completed);
        Interlocked.Exchange(ref _lastProgressAt, time.GetTimestamp());
    }

    // The wait starts when the window fills from empty and ends when it empties.
    private void MoveWindow(int delta)
    {
        lock (_window)
        {
            var before = _inFlight;
            Interlocked.Exchange(ref _inFlight, before + delta);
            if (before + delta == 0)
            {
                Interlocked.Exchange(ref _waitingSince, 0);
            }
            else if (before == 0)
            {
                Interlocked.Exchange(ref _waitingSince, Math.Max(1, time.GetTimestamp()));
            }
        }
    }

    public void RecordError(string what, Exception exception) =>
        _lastError = $"{what}: {FailureClassifier.DescribeChain(exception)}";

    public void MarkLoopFailed(Exception exception) => _loopFailure = $"{exception.GetType().Name}: {exception.Message}";

    public void SetDeadLetterProblem(string? problem) => _deadLetterProblem = problem;

    public void SetBlocked(string connection, string? reason)
    {
        if (reason is null)
        {
            _blocked.TryRemove(connection, out _);
        }
        else
        {
            _blocked[connection] = reason;
        }
    }

    /// <summary>Marks an attempt at a batch as running until the returned scope is disposed.</summary>
    public IDisposable TrackAttempt()
    {
        var id = Interlocked.Increment(ref _nextAttempt);
        _attempts[id] = time.GetTimestamp();
        return new AttemptScope(this, id);
    }

    private sealed class AttemptScope(PipelineStatus status, long id) : IDisposable
    {
        public void Dispose() => status._attempts.TryRemove(id, out _);
    }
}
