using Npgsql;

namespace Bench;

/// <summary>
/// The bench's reads of the worker's table (or of a peer's, which has the same shape): rows per id prefix, and when
/// they were stored.
/// </summary>
public sealed class Store(string connectionString, string table = "messages")
{
    /// <summary>
    /// The ids with prefix $1, as a range of the primary key ($2 is <see cref="PrefixEnd"/>), so that polling a
    /// contender's table reads its index instead of scanning it. Ids are a prefix, '-' and digits, which sort between
    /// the prefix and the prefix followed by "zz" in C and in ICU/glibc collations.
    /// </summary>
    public const string InPrefix = "id >= $1 AND id < $2";

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

    /// <summary>When the longest time without a row began and ended (UTC): the last row before it and the first after.</summary>
    public async Task<(DateTime From, DateTime To)> LongestGapAsync(string prefix)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT previous, stored_at FROM (SELECT stored_at, lag(stored_at) OVER (ORDER BY stored_at) AS previous FROM {table} WHERE {InPrefix}) gaps WHERE previous IS NOT NULL ORDER BY stored_at - previous DESC LIMIT 1",
            db) { Parameters = { new() { Value = prefix }, new() { Value = PrefixEnd(prefix) } } };
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetDateTime(0), reader.GetDateTime(1)) : (DateTime.MinValue, DateTime.MinValue);
    }

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
