using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>
/// Why an attempt at consuming again failed, and whether restarting the worker could help: only then does the time
/// without a consumer count toward <see cref="MessagingOptions.ConsumerLostThreshold"/>.
/// </summary>
public sealed record ConsumeFailure(string Reason, bool RestartHelps)
{
    public static async Task<ConsumeFailure> ClassifyAsync(
        IConnection connection, Exception failure, bool timedOut, MessagingOptions options, TimeProvider time, CancellationToken ct)
    {
        if (!connection.IsOpen)
        {
            // An outage: the client recovers the connection, and the connection watch reports it.
            return new($"the broker connection is down: {FailureClassifier.DescribeChain(failure)}", RestartHelps: false);
        }

        if (!timedOut)
        {
            return new($"consuming again failed: {FailureClassifier.DescribeChain(failure)}", RestartHelps: true);
        }

        var seconds = options.AttemptTimeout.TotalSeconds;
        // A quorum queue that lost its leader with most of its nodes (measured on RabbitMQ 3.10) takes the declare and
        // never answers the basic.consume, while the node answers everything else: a restart reaches the same cluster.
        // Only a write the broker does not confirm to the probe queue, replicated alike, says so; a consume-ok that
        // comes late from a cluster that takes writes may need a new connection.
        return await QuorumConfirmsAsync(connection, options, time, ct) is false
            ? new($"the broker answers, but registered no consumer on {options.Queue} within {seconds:0.#} s and confirms no write to {options.ProbeQueue}: a quorum queue has no leader while most of its nodes are down", RestartHelps: false)
            : new($"the broker did not register a consumer within {seconds:0.#} s while consuming again", RestartHelps: true);
    }

    // False when a confirm-mode channel opens on the connection but a write to the quorum probe queue is not confirmed
    // within the bound; null when nothing tells (a classic queue, or the channel does not open).
    private static async Task<bool?> QuorumConfirmsAsync(IConnection connection, MessagingOptions options, TimeProvider time, CancellationToken ct)
    {
        if (!options.IsQuorum)
        {
            return null;
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(options.AttemptTimeout);
        IChannel? channel = null;
        try
        {
            channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), attempt.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return null;
        }

        try
        {
            await channel.BasicPublishAsync("", options.ProbeQueue, mandatory: true, ReadOnlyMemory<byte>.Empty, attempt.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
        finally
        {
            await channel.DisposeWithinAsync(options.AttemptTimeout, time);
        }
    }
}
