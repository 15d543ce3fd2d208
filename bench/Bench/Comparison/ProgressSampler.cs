using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Bench.Comparison;

/// <summary>
/// Counts a cell's rows every 0.5 s on the probes' clock. A row's <c>stored_at</c> is its transaction's start, so a
/// row that waited out a lock carries the time it began to wait: only counting commits as they become visible tells
/// when progress really stopped and resumed.
/// </summary>
public sealed class ProgressSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private readonly ConcurrentQueue<(TimeSpan At, long Rows)> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock;
    private readonly Task _loop;
    private TimeSpan _endedAt;

    /// <param name="prefix">Letters and digits: the cell's ids all start with it, and the primary key's index finds them by range.</param>
    public ProgressSampler(Stopwatch clock, string connectionString, string table, string prefix)
    {
        _clock = clock;
        _loop = Task.Run(() => LoopAsync(clock, connectionString, table, prefix));
    }

    /// <summary>
    /// Read after the sampler is disposed. The longest time the count stood still while rows were still to come (before it reached <paramref name="expected"/>),
    /// with when it began and ended on the clock.
    /// </summary>
    public (double Seconds, TimeSpan From, TimeSpan To) LongestStall(long expected)
    {
        var samples = _samples.ToList();
        var longest = (Seconds: 0.0, From: TimeSpan.Zero, To: TimeSpan.Zero);
        for (var i = 0; i < samples.Count && samples[i].Rows < expected;)
        {
            var j = i;
            while (j < samples.Count && samples[j].Rows == samples[i].Rows)
            {
                j++;
            }

            // Still short when sampling ended: the stall lasted until then.
            var end = j < samples.Count ? samples[j].At : _endedAt;
            if ((end - samples[i].At).TotalSeconds > longest.Seconds)
            {
                longest = ((end - samples[i].At).TotalSeconds, samples[i].At, end);
            }

            i = j;
        }

        return longest;
    }

    private async Task LoopAsync(Stopwatch clock, string connectionString, string table, string prefix)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var rows = await CountAsync(connectionString, table, prefix).WaitAsync(TimeSpan.FromSeconds(5), _stop.Token);
                // When the count was seen, not when it was asked for: a locked table holds the query up to its timeout.
                _samples.Enqueue((clock.Elapsed, rows));
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // The database hung or restarting, whatever the client makes of it: no sample, so the stall runs on
                // until the next one. The sampler itself never ends before it is told to.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // A connection of the pool per sample: one the database broke is discarded by the pool, not reused.
    private async Task<long> CountAsync(string connectionString, string table, string prefix)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync(_stop.Token);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE {Store.InPrefix}", db)
        {
            Parameters = { new() { Value = prefix }, new() { Value = Store.PrefixEnd(prefix) } },
            CommandTimeout = 2,
        };
        return (long)(await command.ExecuteScalarAsync(_stop.Token))!;
    }

    public async ValueTask DisposeAsync()
    {
        _endedAt = _clock.Elapsed;
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
