using Npgsql;

namespace Worker.Tests.Integration.Failover;

/// <summary>Steps the failover tests share.</summary>
internal static class FailoverTestSteps
{
    /// <summary>Waits until at least <paramref name="rows"/> messages with <paramref name="prefix"/> are stored: messages flow.</summary>
    public static async Task WaitForRowsAtLeastAsync(Backends backends, string prefix, long rows, CancellationToken ct)
    {
        while (await RowsOrNoneAsync(backends, prefix) < rows)
        {
            await Task.Delay(100, ct);
        }
    }

    /// <summary>
    /// Waits until messages flow again: 1,000 rows with <paramref name="prefix"/> beyond <paramref name="storedBefore"/>,
    /// more than the deliveries in flight at the loss (a prefetch of 512) could make.
    /// </summary>
    public static async Task WaitForFlowAsync(Backends backends, string prefix, long storedBefore, TimeSpan within)
    {
        using var bound = new CancellationTokenSource(within);
        try
        {
            await WaitForRowsAtLeastAsync(backends, prefix, storedBefore + 1000, bound.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Fewer than 1,000 more messages were stored within {within.TotalSeconds} s of the loss.");
        }
    }

    private static async Task<long> RowsOrNoneAsync(Backends backends, string prefix)
    {
        try
        {
            return await backends.RowsAsync(prefix);
        }
        catch (NpgsqlException)
        {
            return 0;
        }
    }
}
