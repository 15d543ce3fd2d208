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
        return await AnswersAsync(connection, options.AttemptTimeout, time, ct)
            ? new($"the broker answers, but registered no consumer on {options.Queue} within {seconds:0.#} s: a quorum queue has no leader while most of its nodes are down", RestartHelps: false)
            : new($"the broker did not answer within {seconds:0.#} s while consuming again", RestartHelps: true);
    }

    // A passive declare of a built-in exchange needs no queue and no leader: whether the connection itself is served.
    private static async Task<bool> AnswersAsync(IConnection connection, TimeSpan bound, TimeProvider time, CancellationToken ct)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(bound);
        IChannel? channel = null;
        try
        {
            channel = await connection.CreateChannelAsync(cancellationToken: attempt.Token);
            await channel.ExchangeDeclarePassiveAsync("amq.direct", attempt.Token);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeWithinAsync(bound, time);
            }
        }
    }
}
