using Npgsql;

namespace Bench;

/// <summary>The bench's reads of the worker's table: rows per id prefix, and when they were stored.</summary>
public sealed class Store(string connectionString)
{
    public async Task<long> RowsAsync(string prefix) =>
        await ScalarAsync<long>("SELECT count(*) FROM messages WHERE starts_with(id, $1)", prefix);

    /// <summary>Rows beyond one per id: the unique key makes this 0 unless the schema lost it.</summary>
    public async Task<long> RowsStoredTwiceAsync(string prefix) =>
        await ScalarAsync<long>("SELECT count(*) - count(DISTINCT id) FROM messages WHERE starts_with(id, $1)", prefix);

    /// <summary>Seconds from the first row to the last with this prefix.</summary>
    public async Task<double> StoreSpanSecondsAsync(string prefix) =>
        await ScalarAsync<double>("SELECT extract(epoch FROM max(stored_at) - min(stored_at))::float8 FROM messages WHERE starts_with(id, $1)", prefix);

    /// <summary>
    /// The longest time between two successive rows with this prefix: how long nothing was stored. A batch's rows
    /// share their transaction's start time, so this is the longest time between the starts of two storing batches.
    /// </summary>
    public async Task<double> LongestGapSecondsAsync(string prefix) =>
        await ScalarAsync<double>(
            "SELECT coalesce(extract(epoch FROM max(gap)), 0)::float8 FROM (SELECT stored_at - lag(stored_at) OVER (ORDER BY stored_at) AS gap FROM messages WHERE starts_with(id, $1)) gaps",
            prefix);

    /// <summary>Waits until the rows with this prefix reach <paramref name="expected"/>, or the time is up; returns the last count.</summary>
    public async Task<long> WaitForRowsAsync(string prefix, long expected, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        long rows;
        while ((rows = await RowsAsync(prefix)) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        return rows;
    }

    private async Task<T> ScalarAsync<T>(string sql, string prefix)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db) { Parameters = { new() { Value = prefix } } };
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
