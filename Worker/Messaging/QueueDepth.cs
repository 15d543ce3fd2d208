using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>How many messages wait ready in the work queue, as the broker counts them.</summary>
public interface IQueueDepth
{
    /// <summary>The ready count, or null when the broker cannot say right now (its own check reports why).</summary>
    Task<uint?> ReadyAsync(CancellationToken ct);
}

public sealed class QueueDepth(IServiceProvider services, IOptions<MessagingOptions> options) : IQueueDepth
{
    public async Task<uint?> ReadyAsync(CancellationToken ct)
    {
        try
        {
            var connection = services.GetRequiredService<IConnection>();
            // A channel of its own: a passive declare of a missing queue closes the channel it runs on.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            return await channel.MessageCountAsync(options.Value.Queue, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }
}
