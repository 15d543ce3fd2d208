using Microsoft.Extensions.Options;
using Polly;

namespace Worker.Messaging;

/// <summary>
/// Runs a batch until every delivery has an outcome. A transient failure (a dependency) retries the same messages
/// with backoff, forever, and loses nothing. A failure caused by the messages splits the batch in halves, again and
/// again, until each culprit is alone; it is then dead-lettered as unprocessable, and the rest are stored. So no
/// content can hold up the messages beside it, and none is retried forever for its content.
/// </summary>
public sealed partial class BatchAttempts
{
    private readonly BatchProcessor _processor;
    private readonly PipelineStatus _status;
    private readonly TimeProvider _time;
    private readonly TimeSpan _attemptTimeout;
    private readonly ILogger<BatchAttempts> _logger;
    private readonly ResiliencePipeline _transient;
    private readonly ResiliencePipeline _any;

    public BatchAttempts(BatchProcessor processor, PipelineStatus status, TimeProvider time, IOptions<MessagingOptions> options, ILogger<BatchAttempts> logger)
    {
        (_processor, _status, _time, _attemptTimeout, _logger) = (processor, status, time, options.Value.AttemptTimeout, logger);
        _transient = Backoff.Forever(time, ex => FailureClassifier.Classify(ex) == FailureKind.Transient, OnRetry);
        // Publishing a dead letter has no failure a message could cause: whatever stops it, it is tried again.
        _any = Backoff.Forever(time, _ => true, OnRetry);
    }

    public async Task RunAsync(IReadOnlyList<Delivery> batch, CancellationToken ct)
    {
        try
        {
            await _transient.ExecuteAsync((b, token) => AttemptAsync(c => _processor.ProcessAsync(b, c), token), batch, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && FailureClassifier.Classify(ex) == FailureKind.CausedByMessages)
        {
            var pending = batch.Where(d => !d.IsDone).ToList();
            if (pending.Count == 1)
            {
                var reason = $"unprocessable: {FailureClassifier.Describe(ex)}";
                LogUnprocessable(_logger, pending[0].Tag, reason);
                await _any.ExecuteAsync(token => AttemptAsync(c => _processor.DeadLetterAsync(pending, _ => reason, c), token), ct);
            }
            else if (pending.Count > 1)
            {
                LogSplitting(_logger, pending.Count, FailureClassifier.Describe(ex));
                await RunAsync(pending[..(pending.Count / 2)], ct);
                await RunAsync(pending[(pending.Count / 2)..], ct);
            }
        }
    }

    // Each attempt is bounded and watched: the token stops what honours it, WaitAsync bounds what does not (Aspire's
    // Redis calls ignore tokens), and the watchdog keeps seeing an attempt until it has really ended, so one that
    // hangs past its bound still fails liveness at the stuck threshold.
    private async ValueTask AttemptAsync(Func<CancellationToken, Task> attempt, CancellationToken ct)
    {
        using var bound = new CancellationTokenSource(_attemptTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, bound.Token);
        var tracking = _status.TrackAttempt();
        var running = attempt(linked.Token);
        _ = running.ContinueWith(_ => tracking.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await running.WaitAsync(_attemptTimeout, _time, ct);
    }

    private void OnRetry(Exception? exception, int attempt, TimeSpan delay)
    {
        if (exception is not null)
        {
            _status.RecordError("a batch", exception);
        }

        LogRetry(_logger, attempt, delay.TotalSeconds, exception is null ? "no error" : FailureClassifier.DescribeChain(exception));
    }

    // These two name the failure only as Describe does: the exception itself, logged whole, would carry what a
    // message's failure quotes (PostgreSQL's Where, as exception data, and the message text of a refused value).
    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch failed (attempt {Attempt}); nothing acked, retrying in {Delay:0.0} s: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, double delay, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "A batch of {Count} failed for its content ({Reason}); splitting it to find the culprit")]
    private static partial void LogSplitting(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {Tag} cannot be stored and goes to the dead-letter queue: {Reason}")]
    private static partial void LogUnprocessable(ILogger logger, ulong tag, string reason);
}
