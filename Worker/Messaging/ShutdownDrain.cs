namespace Worker.Messaging;

/// <summary>
/// The shutdown of the pipeline: cancel the consumer, then let the deliveries in flight finish within a bound. The
/// drain runs in a finally, so its bound holds whatever the cancel does: throw, hang, or meet a channel already gone.
/// </summary>
public sealed partial class ShutdownDrain(InFlightWindow window, TimeProvider time, ILogger<ShutdownDrain> logger)
{
    /// <param name="cancelConsumer">Asks the broker to stop delivering; bounded by <paramref name="budget"/> too.</param>
    /// <param name="loop">The batch loop, which ends once the window is closed and empty, or at the deadline.</param>
    /// <param name="deadline">Cancelled after <paramref name="budget"/>: the loop stops, and what is left goes back to the queue.</param>
    public async Task RunAsync(Func<CancellationToken, Task> cancelConsumer, Task loop, CancellationTokenSource deadline, TimeSpan budget)
    {
        deadline.CancelAfter(budget);
        try
        {
            await cancelConsumer(deadline.Token).WaitAsync(budget, time, deadline.Token);
        }
        catch (Exception ex)
        {
            LogCancelFailed(logger, ex);
        }
        finally
        {
            window.Close();
            try
            {
                await loop;
                LogDrained(logger);
            }
            catch (OperationCanceledException)
            {
                LogDrainTimedOut(logger, budget);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancelling the consumer failed; draining anyway")]
    private static partial void LogCancelFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: every in-flight message finished and was acked")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The drain did not finish within {Budget}; unacked messages go back to the queue")]
    private static partial void LogDrainTimedOut(ILogger logger, TimeSpan budget);
}
