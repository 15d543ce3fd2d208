using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using Worker.Contract;
using Worker.Messaging;
using Worker.Storage;

namespace Worker.Tests.Unit.Fakes;

/// <summary>A store that keeps rows in memory and, like PostgreSQL, fails a whole statement when one row is refused.</summary>
public sealed class FakeStore(Func<WorkMessage, Exception?> refuse) : IMessageStore
{
    public ConcurrentDictionary<string, WorkMessage> Rows { get; } = new(StringComparer.Ordinal);

    public int Statements { get; private set; }

    public Task<IReadOnlySet<string>> InsertAsync(IReadOnlyList<WorkMessage> messages, CancellationToken ct)
    {
        Statements++;
        if (messages.Select(refuse).FirstOrDefault(e => e is not null) is { } failure)
        {
            throw failure;
        }

        IReadOnlySet<string> inserted = messages.Where(m => Rows.TryAdd(m.Id, m)).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        return Task.FromResult(inserted);
    }

    public Task<IReadOnlySet<string>> StoredAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        Statements++;
        return Task.FromResult<IReadOnlySet<string>>(ids.Where(Rows.ContainsKey).ToHashSet(StringComparer.Ordinal));
    }

    public static PostgresException Refusal(string sqlState = "22P05") => new("unsupported Unicode escape sequence", "ERROR", "ERROR", sqlState);
}

public sealed class FakeDedup : IDedupCache
{
    public ConcurrentDictionary<string, bool> Marked { get; } = new(StringComparer.Ordinal);

    public Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> ids) =>
        Task.FromResult<IReadOnlySet<string>>(ids.Where(Marked.ContainsKey).ToHashSet(StringComparer.Ordinal));

    public Task MarkStoredAsync(IReadOnlyCollection<string> ids, TimeSpan ttl)
    {
        foreach (var id in ids)
        {
            Marked[id] = true;
        }

        return Task.CompletedTask;
    }
}

public sealed class FakeDeadLetters : IDeadLetterPublisher
{
    public ConcurrentQueue<(string Body, string Reason)> Published { get; } = new();

    /// <summary>Failures to throw, one per publish, before publishing works.</summary>
    public ConcurrentQueue<Exception> FailFirst { get; } = new();

    public Task OpenAsync(CancellationToken ct) => Task.CompletedTask;

    public Exception? ProbeFailure { get; set; }

    /// <summary>A probe whose confirm never comes, as when the probe queue has no quorum.</summary>
    public bool ProbeUnconfirmed { get; set; }

    public Task ProbeAsync(CancellationToken ct) =>
        ProbeUnconfirmed ? Task.Delay(Timeout.Infinite, ct) : ProbeFailure is null ? Task.CompletedTask : Task.FromException(ProbeFailure);

    public Task PublishAsync(ReadOnlyMemory<byte> body, string reason, CancellationToken ct)
    {
        if (FailFirst.TryDequeue(out var failure))
        {
            throw failure;
        }

        Published.Enqueue((Encoding.UTF8.GetString(body.Span), reason));
        return Task.CompletedTask;
    }
}

public static class Deliveries
{
    private static ulong _tag;

    // The channel is only read when a batch is acked, which these tests do not do.
    public static Delivery Of(byte[] body) => new(null!, Interlocked.Increment(ref _tag), body, null, 0);
}

public sealed class FakeQueueDepth : IQueueDepth
{
    public uint? Ready { get; set; } = 0;

    /// <summary>How often the broker was asked.</summary>
    public int Calls { get; private set; }

    public Task<uint?> ReadyAsync(CancellationToken ct)
    {
        Calls++;
        return Task.FromResult(Ready);
    }
}
