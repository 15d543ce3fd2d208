using StackExchange.Redis;
using Worker.Telemetry;

namespace Worker.Storage;

/// <summary>
/// Whether Redis takes the marks of stored ids. A mark is written after its rows are committed and is only a hint,
/// so a Redis that refuses writes (out of memory under noeviction, or a read-only replica after a failover) degrades
/// deduplication, to PostgreSQL's ON CONFLICT alone, and must not fail a batch whose rows are already stored. The
/// change of state is logged once each way, and the gauge <c>worker.dedup.marks_failing</c> shows it.
/// </summary>
public sealed partial class DedupMarkWrites
{
    private readonly ILogger<DedupMarkWrites> _logger;
    private int _failing;

    public DedupMarkWrites(WorkerTelemetry telemetry, ILogger<DedupMarkWrites> logger)
    {
        _logger = logger;
        telemetry.Meter.CreateObservableGauge("worker.dedup.marks_failing", () => Volatile.Read(ref _failing),
            description: "1 while Redis refuses to mark stored ids: duplicates are then skipped by PostgreSQL alone.");
    }

    public void Written()
    {
        if (Interlocked.Exchange(ref _failing, 0) == 1)
        {
            LogWrittenAgain(_logger);
        }
    }

    public void Failed(Exception exception)
    {
        // Redis's own reply (OOM, READONLY) names the cause; the client's other messages can quote a key, which holds
        // a message's id, so only their type is kept.
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            LogRefused(_logger, exception is RedisServerException ? exception.Message : exception.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis does not take the marks of stored ids ({Reason}); the batches are stored and acked, and duplicates are skipped by PostgreSQL alone until it does")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis takes the marks of stored ids again")]
    private static partial void LogWrittenAgain(ILogger logger);
}
