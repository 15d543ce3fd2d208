using Npgsql;

namespace Bench;

/// <summary>
/// The bench's reads of the worker's table (or of a peer's, which has the same shape): rows per id prefix, and when
/// they were stored.
/// </summary>
public sealed class Store(string connectionString, string table = "messages")
{
    /// <summary>
    /// The ids with prefix $1: the range of the primary key from it to <see cref="PrefixEnd"/> ($2), so that polling a
    /// contender's table reads its index instead of scanning it (the bench's ids follow their prefix with letters below
    /// 'z', digits and '-'), and starts_with within it, so that nothing else a collation sorts there is counted.
    /// </summary>
    public const string InPrefix = "id >= $1 AND id < $2 AND starts_with(id, $1)";

    public static string PrefixEnd(string prefix) => prefix + "zz";

    public string ConnectionString => connectionString;

    /// <summary>The same reads on another table of the same shape.</summary>
    public Store Of(string otherTable) => new(connectionString, otherTable);

    public async Task<long> RowsAsync(string prefix) =>
        await ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE {InPrefix}", prefix);

    /// <summary>Rows beyond one per id: the unique key makes this 0 unless the schema lost it.</summary>
    public async Task<long> RowsStoredTwiceAsync(string prefix) =>
        await ScalarAsync<long>($"SELECT count(*) - count(DISTINCT id) FROM {table} WHERE {InPrefix}", prefix);

    /// <summary>Seconds from the first row to the last with this prefix.</summary>
    public async Task<double> StoreSpanSecondsAsync(string prefix) =>
        await ScalarAsync<double>($"SELECT extract(epoch FROM max(stored_at) - min(stored_at))::float8 FROM {table} WHERE {InPrefix}", prefix);

    /// <summary>
    /// The longest time between two successive rows with this prefix: how long nothing was stored. A batch's rows
    /// share their transaction's start time, so this is the longest time between the starts of two storing batches.
    /// </summary>
    public async Task<double> LongestGapSecondsAsync(string prefix) =>
        await ScalarAsync<double>(
            $"SELECT coalesce(extract(epoch FROM max(gap)), 0)::float8 FROM (SELECT stored_at - lag(stored_at) OVER (ORDER BY stored_at) AS gap FROM {table} WHERE {InPrefix}) gaps",
            prefix);

    /// <summary>
    /// Waits until the rows with this prefix reach <paramref name="expected"/>, the time is up, or
    /// <paramref name="stillStoring"/> says nothing will store them any more; returns the last count.
    /// </summary>
    public async Task<long> WaitForRowsAsync(string prefix, long expected, TimeSpan within, Func<bool>? stillStoring = null)
    {
        var deadline = DateTime.UtcNow + within;
        long rows;
        while ((rows = await RowsAsync(prefix)) < expected && DateTime.UtcNow < deadline && (stillStoring?.Invoke() ?? true))
        {
            await Task.Delay(200);
        }

        return rows;
    }

    private async Task<T> ScalarAsync<T>(string sql, string prefix)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db) { Parameters = { new() { Value = prefix }, new() { Value = PrefixEnd(prefix) } } };
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
