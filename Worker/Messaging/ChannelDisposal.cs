using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>Closing a channel while a failure is handled, without the close replacing that failure or outlasting a bound.</summary>
public static class ChannelDisposal
{
    /// <summary>
    /// RabbitMQ.Client's DisposeAsync waits for the broker's close-ok (up to its continuation timeout, 20 s), and rethrows
    /// when its own close-ok to a broker's close cannot be sent. Neither may hold a retry loop past its bound, nor hide
    /// the failure that closed the channel: what went wrong, if anything, is returned for the caller to log.
    /// </summary>
    public static async Task<Exception?> DisposeWithinAsync(this IChannel channel, TimeSpan bound, TimeProvider time)
    {
        try
        {
            await channel.DisposeAsync().AsTask().WaitAsync(bound, time);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
