using System.Diagnostics;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Worker.Storage;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// One batch, one way: parse, skip ids Redis knows are stored, insert the rest in Postgres (the source of truth),
/// mark them in Redis, dead-letter the malformed. The caller acks only after this returns. Every step is idempotent,
/// so a failed attempt is simply run again.
/// </summary>
public sealed partial class BatchProcessor(
    DedupCache dedup,
    MessageStore store,
    DeadLetterPublisher deadLetters,
    WorkerTelemetry telemetry,
    IOptions<MessagingOptions> options,
    ILogger<BatchProcessor> logger)
{
    public async Task ProcessAsync(IReadOnlyList<Delivery> batch, IChannel confirmedChannel, CancellationToken ct)
    {
        var traced = batch.Select(delivery => (Delivery: delivery, Activity: MessageTrace.Start(delivery))).ToList();
        try
        {
            var parsed = traced.Select(t => (t.Delivery, t.Activity, Result: MessageParser.Parse(t.Delivery.Body, options.Value.MaxBodyBytes))).ToList();
            var valid = parsed.Where(p => p.Result.Message is not null).ToList();
            var unique = valid.Select(p => p.Result.Message!).DistinctBy(m => m.Id, StringComparer.Ordinal).ToList();

            var known = await TimedAsync("dedup", valid.Select(p => p.Activity), () => dedup.FindStoredAsync([.. unique.Select(m => m.Id)]));
            var toInsert = unique.Where(m => !known.Contains(m.Id)).ToList();
            var inserted = await TimedAsync("insert", valid.Select(p => p.Activity), () => store.InsertAsync(toInsert, ct));
            await dedup.MarkStoredAsync(toInsert.Select(m => m.Id));

            var rejected = parsed.Where(p => p.Result.Reason is not null).ToList();
            // Published together and confirmed together: one broker round trip per batch, not one per malformed message.
            await Task.WhenAll(rejected.Select(p => deadLetters.PublishAsync(confirmedChannel, p.Delivery, p.Result.Reason!, ct)));
            if (rejected.Count > 0)
            {
                LogDeadLettered(logger, rejected.Count, string.Join(", ", rejected.CountBy(p => Kind(p.Result.Reason!)).Select(k => $"{k.Key} {k.Value}")));
            }

            foreach (var (delivery, activity, result) in rejected)
            {
                LogDeadLetteredDelivery(logger, delivery.Tag, result.Reason!);
                activity?.SetTag("worker.outcome", "dead-lettered").SetTag("worker.dead_letter_reason", result.Reason);
            }

            var newIds = new HashSet<string>(inserted, StringComparer.Ordinal);
            foreach (var (_, activity, result) in valid)
            {
                // The first copy of a new id in this batch counts as processed; every other copy is a duplicate.
                var isNew = newIds.Remove(result.Message!.Id);
                activity?.SetTag("worker.message.id", result.Message.Id).SetTag("worker.outcome", isNew ? "stored" : "duplicate");
            }

            telemetry.Processed.Add(inserted.Count);
            telemetry.Duplicates.Add(valid.Count - inserted.Count);
            telemetry.DeadLettered.Add(parsed.Count - valid.Count);
        }
        catch (Exception ex)
        {
            foreach (var (_, activity) in traced)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            }

            throw;
        }
        finally
        {
            foreach (var (_, activity) in traced)
            {
                activity?.Dispose();
            }
        }
    }

    // One warning per batch, not per message: a flood of bad input must not become a flood of log lines. Each
    // message's reason is in its dead letter's header, in its trace, and here at Debug.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Count} malformed deliveries: {Reasons}")]
    private static partial void LogDeadLettered(ILogger logger, int count, string reasons);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dead-lettered delivery {Tag}: {Reason}")]
    private static partial void LogDeadLetteredDelivery(ILogger logger, ulong tag, string reason);

    // "invalid-json: ..." -> "invalid-json"
    private static string Kind(string reason) => reason.Split(':', 2)[0];

    // The batch's call is shared; each message's trace gets its own span over that call.
    private static async Task<T> TimedAsync<T>(string name, IEnumerable<Activity?> messages, Func<Task<T>> call)
    {
        var started = DateTimeOffset.UtcNow;
        var result = await call();
        var ended = DateTimeOffset.UtcNow;
        foreach (var message in messages.OfType<Activity>())
        {
            using var span = WorkerTelemetry.Source.StartActivity(name, ActivityKind.Internal, message.Context, startTime: started);
            span?.SetEndTime(ended.UtcDateTime);
        }

        return result;
    }
}
