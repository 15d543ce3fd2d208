using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// Cuts batches from the in-flight window (by count and by bytes), runs each until every delivery has an outcome,
/// then acks it: one <c>basic.ack multiple</c> per channel, sent only once rows are committed and dead letters
/// confirmed. Up to Messaging:BatchesInFlight batches run at once, so that one batch's round trips to the servers
/// overlap another's; a batch is acked only after the one cut before it, since <c>multiple</c> acks every lower tag
/// of its channel. With that many batches running, the next one waits, the window fills up and the broker stops
/// sending.
/// </summary>
public sealed partial class BatchLoop(
    InFlightWindow window,
    BatchAttempts attempts,
    PipelineStatus status,
    WorkerTelemetry telemetry,
    TimeProvider time,
    IOptions<MessagingOptions> options,
    ILogger<BatchLoop> logger)
{
    private readonly MessagingOptions _options = options.Value;

    /// <summary>Runs until the window is closed and empty (the drain), or <paramref name="deadline"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken deadline)
    {
        var running = new Queue<Task>(_options.BatchesInFlight);
        var acked = Task.CompletedTask;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        try
        {
            while (await window.Reader.WaitToReadAsync(deadline))
            {
                var batch = new List<Delivery>(_options.BatchSize);
                await FillAsync(batch, deadline);
                acked = RunBatchAsync(batch, acked, failed.Token);
                running.Enqueue(acked);
                while (running.Count >= _options.BatchesInFlight || running.Peek().IsCompleted)
                {
                    // A batch that failed fails the loop here; those after it never ack, as they wait for its ack.
                    await running.Dequeue();
                    if (running.Count == 0)
                    {
                        break;
                    }
                }
            }
        }
        catch
        {
            // The batches after a failed one can only fail too: they are stopped rather than left retrying.
            await failed.CancelAsync();
            throw;
        }
        finally
        {
            // The loop ends with its batches: a drain is over only once every batch cut has been acked or has failed.
            await Task.WhenAll(running).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        await acked;
    }

    private async Task RunBatchAsync(List<Delivery> batch, Task before, CancellationToken deadline)
    {
        foreach (var delivery in batch)
        {
            delivery.StartTrace();
        }

        await attempts.RunAsync(batch, deadline);
        var waiting = time.GetTimestamp();
        await before;
        telemetry.RecordStage("ack-order", waiting, time);
        var acking = time.GetTimestamp();
        await AckAsync(batch, deadline);
        telemetry.RecordStage("ack", acking, time);
        LogDeadLetters(batch);
        foreach (var delivery in batch)
        {
            delivery.Complete();
        }

        telemetry.InFlight.Add(-batch.Count);
        telemetry.HandlerDuration.Record(time.GetElapsedTime(batch[0].ReceivedAt).TotalSeconds);
        status.RecordProgress(batch.Count);
    }

    private async Task FillAsync(List<Delivery> batch, CancellationToken ct)
    {
        using var fill = new CancellationTokenSource(_options.BatchWindow, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, fill.Token);
        var bytes = 0L;
        try
        {
            while (batch.Count < _options.BatchSize)
            {
                if (window.Reader.TryPeek(out var next))
                {
                    if (batch.Count > 0 && bytes + next.Body.Length > _options.MaxBatchBytes)
                    {
                        break;
                    }

                    window.Reader.TryRead(out _);
                    batch.Add(next);
                    bytes += next.Body.Length;
                }
                else if (!await window.Reader.WaitToReadAsync(batch.Count > 0 ? linked.Token : ct))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The batch window closed: process what arrived.
        }
    }

    private async Task AckAsync(List<Delivery> batch, CancellationToken ct)
    {
        // Tags mean something on their own channel only; after a channel was replaced a batch can hold both.
        foreach (var sameChannel in batch.GroupBy(d => d.Channel))
        {
            if (!sameChannel.Key.IsOpen)
            {
                // Closed (by the broker, or with its connection): it has requeued these already, and an ack on a
                // closed channel can wait for a recovery that will not bring this channel back.
                LogAckLost(logger, null, sameChannel.Count());
                continue;
            }

            try
            {
                // Bounded like every broker call: an ack must not wait forever on a connection the broker blocks.
                await sameChannel.Key.BasicAckAsync(sameChannel.Max(d => d.Tag), multiple: true, ct).AsTask()
                    .WaitAsync(_options.AttemptTimeout, time, ct);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
            {
                // The channel went down: the broker requeues these, and the stored rows dedup the redelivered copies.
                LogAckLost(logger, ex, sameChannel.Count());
            }
            catch (TimeoutException ex)
            {
                // Unacked, these would hold the whole prefetch window until the broker's consumer timeout. Closing the
                // channel hands them back now; the consumer is registered again on a new one.
                LogAckLost(logger, ex, sameChannel.Count());
                _ = sameChannel.Key.CloseAsync(CancellationToken.None).WaitAsync(_options.AttemptTimeout, time).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    // One warning per batch, not per message: a flood of bad input must not become a flood of log lines. Each
    // message's reason is in its dead letter's header, in its trace, and here at Debug.
    private void LogDeadLetters(List<Delivery> batch)
    {
        var deadLettered = batch.Where(d => d.DeadLetterReason is not null).ToList();
        if (deadLettered.Count == 0)
        {
            return;
        }

        var kinds = deadLettered.CountBy(d => d.DeadLetterReason!.Split(':', 2)[0]).Select(k => $"{k.Key} {k.Value}");
        LogDeadLettered(logger, deadLettered.Count, string.Join(", ", kinds));
        foreach (var delivery in deadLettered)
        {
            LogDeadLetteredDelivery(logger, delivery.Tag, delivery.DeadLetterReason!);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Count} deliveries: {Reasons}")]
    private static partial void LogDeadLettered(ILogger logger, int count, string reasons);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dead-lettered delivery {Tag}: {Reason}")]
    private static partial void LogDeadLetteredDelivery(ILogger logger, ulong tag, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ack {Count} finished messages; they will be redelivered and deduplicated")]
    private static partial void LogAckLost(ILogger logger, Exception? exception, int count);
}
