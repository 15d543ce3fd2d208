using System.Diagnostics;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using Worker.Storage;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// One attempt at a batch: skip ids PostgreSQL (the source of truth) has, asking it only about those Redis has
/// marked, insert the rest, mark them in Redis, and dead-letter the malformed. Each delivery keeps its outcome, so an
/// attempt only does what earlier attempts left undone; the caller acks once every delivery has one.
/// </summary>
public sealed partial class BatchProcessor(
    IDedupCache dedup,
    IMessageStore store,
    IDeadLetterPublisher deadLetters,
    WorkerTelemetry telemetry,
    TimeProvider time,
    IOptions<MessagingOptions> options,
    ILogger<BatchProcessor> logger)
{
    /// <summary>Runs one attempt; throws when any part failed, keeping what the other parts completed.</summary>
    public async Task ProcessAsync(IReadOnlyList<Delivery> batch, CancellationToken ct)
    {
        var pending = batch.Where(d => !d.IsDone).ToList();
        var rejected = pending.Where(d => d.Parsed.Reason is not null).ToList();
        // The dead letters need only the broker, so their confirms overlap the store's round trips.
        var deadLettering = DeadLetterAsync(rejected, d => d.Parsed.Reason!, ct);
        var storing = StoreAsync(pending.Where(d => d.Parsed.Message is not null).ToList(), ct);

        var both = Task.WhenAll(storing, deadLettering);
        try
        {
            await both;
        }
        catch when (both.Exception is { InnerExceptions.Count: > 1 } failures)
        {
            // Both failed: the classifier sees both, and a dependency's failure wins over the messages'.
            throw failures;
        }
    }

    /// <summary>Dead-letters each delivery with its reason, concurrently; marks each one the broker confirmed.</summary>
    public async Task DeadLetterAsync(IReadOnlyList<Delivery> deliveries, Func<Delivery, string> reason, CancellationToken ct)
    {
        await Task.WhenAll(deliveries.Select(async delivery =>
        {
            var why = reason(delivery);
            // A dead letter's publish belongs to its message's trace (an async lambda's Current stays in the lambda).
            Activity.Current = delivery.Trace;
            await deadLetters.PublishAsync(delivery.Body, why, ct);
            delivery.MarkDeadLettered(why);
            telemetry.DeadLettered.Add(1);
        }));
    }

    private async Task StoreAsync(IReadOnlyList<Delivery> valid, CancellationToken ct)
    {
        if (valid.Count == 0)
        {
            return;
        }

        var unique = valid.Select(d => d.Parsed.Message!).DistinctBy(m => m.Id, StringComparer.Ordinal).ToList();
        // A mark is only a hint: the database may have forgotten the row since (a restore, a dropped table, a server
        // started again without its data). Only a row in this database makes an id a duplicate, so the marked ids are
        // confirmed in one read, and those without a row are stored again.
        var (marked, known) = await TimedAsync("dedup", valid, async () =>
        {
            var marks = await dedup.FindStoredAsync([.. unique.Select(m => m.Id)]);
            return (marks, marks.Count == 0 ? marks : await store.StoredAsync(marks, ct));
        });
        if (known.Count < marked.Count)
        {
            telemetry.StaleMarks.Add(marked.Count - known.Count);
            LogStaleMarks(logger, marked.Count - known.Count);
        }

        var toInsert = unique.Where(m => !known.Contains(m.Id)).ToList();
        // Only the messages the database does not have are inserted, and only their traces show the insert.
        var inserted = await TimedAsync("insert", valid.Where(d => !known.Contains(d.Parsed.Message!.Id)), () => store.InsertAsync(toInsert, ct));

        // Committed: from here each delivery has its outcome, whatever happens to the marks below.
        var newIds = new HashSet<string>(inserted, StringComparer.Ordinal);
        foreach (var delivery in valid)
        {
            // The first copy of a new id in this batch counts as stored; every other copy is a duplicate.
            var id = delivery.Parsed.Message!.Id;
            delivery.MarkStored(id, isNew: newIds.Remove(id));
        }

        telemetry.Processed.Add(inserted.Count);
        telemetry.Duplicates.Add(valid.Count - inserted.Count);
        var marking = time.GetTimestamp();
        using (SuppressInstrumentationScope.Begin())
        {
            await dedup.MarkStoredAsync([.. toInsert.Select(m => m.Id)], options.Value.DedupTtl);
        }

        telemetry.RecordStage("mark", marking, time);
    }

    // The batch's call is shared; each message's trace gets its own span over that call. The client libraries' own
    // span of it would be a trace of its own, belonging to no message, so their instrumentation is off for the call.
    private async Task<T> TimedAsync<T>(string name, IEnumerable<Delivery> deliveries, Func<Task<T>> call)
    {
        var started = time.GetUtcNow();
        var startedAt = time.GetTimestamp();
        Task<T> running;
        using (SuppressInstrumentationScope.Begin())
        {
            running = call();
        }

        T result;
        try
        {
            result = await running;
        }
        finally
        {
            // A failed call counts too: a dependency that fails slowly is what this histogram is read for.
            telemetry.RecordStage(name, startedAt, time);
        }

        var ended = time.GetUtcNow();
        foreach (var message in deliveries.Select(d => d.Trace).OfType<Activity>())
        {
            using var span = WorkerTelemetry.Source.StartActivity(name, ActivityKind.Internal, message.Context, startTime: started);
            span?.SetEndTime(ended.UtcDateTime);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} ids that Redis marked as stored have no row in the database (did it lose data?); storing them again")]
    private static partial void LogStaleMarks(ILogger logger, int count);
}
