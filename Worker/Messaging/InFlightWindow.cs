using System.Threading.Channels;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Worker.Messaging;

/// <summary>
/// The deliveries received and not yet acked, bounded by count (the broker's prefetch) and by bytes. RabbitMQ
/// ignores a byte prefetch (<c>prefetch_size</c>), so the byte bound is kept here: the consumer waits for room before
/// it copies a body, and a batch's ack gives the room back. A <see cref="ConcurrencyLimiter"/> with one permit per
/// byte does the counting.
/// </summary>
public sealed class InFlightWindow : IAsyncDisposable
{
    private readonly Channel<Delivery> _deliveries;
    private readonly ConcurrencyLimiter _bytes;

    public InFlightWindow(IOptions<MessagingOptions> options)
    {
        var o = options.Value;
        // Beyond the prefetch: after a channel is replaced, the old one's deliveries may still wait here.
        _deliveries = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(o.Prefetch * 2) { SingleReader = true });
        _bytes = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = o.MaxInFlightBytes,
            QueueLimit = o.MaxInFlightBytes,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public ChannelReader<Delivery> Reader => _deliveries.Reader;

    /// <summary>Waits until <paramref name="size"/> bytes fit, and returns their lease.</summary>
    public async ValueTask<RateLimitLease> ReserveAsync(int size, CancellationToken ct)
    {
        var lease = await _bytes.AcquireAsync(Math.Max(1, size), ct);
        return lease.IsAcquired ? lease : throw new InvalidOperationException($"A body of {size} bytes cannot fit the in-flight byte budget.");
    }

    /// <summary>Adds a delivery; false once the window is closed for the drain.</summary>
    public async ValueTask<bool> AddAsync(Delivery delivery, CancellationToken ct)
    {
        try
        {
            await _deliveries.Writer.WriteAsync(delivery, ct);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Takes no more deliveries; those inside are still read, which is the drain.</summary>
    public void Close() => _deliveries.Writer.TryComplete();

    public ValueTask DisposeAsync() => _bytes.DisposeAsync();
}
