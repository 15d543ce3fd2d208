using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Worker.Messaging;

/// <summary>The readiness probe's write to the probe queue, on the dead-letter connection.</summary>
public sealed partial class DeadLetterPublisher
{
    private const string UnroutableProbe = "worker.dead-letters.probe";
    private IChannel? _probeChannel;

    public async Task ProbeAsync(CancellationToken ct)
    {
        var channel = await ProbeChannelAsync(ct);
        try
        {
            // Beside a classic work queue, a message routed nowhere: the broker drops it and confirms it.
            var quorum = options.Value.IsQuorum;
            await channel.BasicPublishAsync("", quorum ? options.Value.ProbeQueue : UnroutableProbe, mandatory: quorum, ReadOnlyMemory<byte>.Empty, ct);
        }
        catch (Exception ex)
        {
            // The next probe gets a new channel, whatever failed. The broker's side of a channel that published to a
            // quorum queue whose leader went away kept waiting after a new leader was elected (measured on RabbitMQ
            // 3.10: 85 s, until another node returned), while a new channel finds the new leader. Closed in the
            // background, so that a slow close never outlasts the check.
            Interlocked.CompareExchange(ref _probeChannel, null, channel);
            _ = channel.DisposeWithinAsync(options.Value.AttemptTimeout, time);
            if (ex is PublishException { IsReturn: true })
            {
                throw new InvalidOperationException($"{options.Value.ProbeQueue} is gone; the next probe declares it again.", ex);
            }

            throw;
        }
    }

    // Its own channel, not the dead letters': dropping it after a failed probe must not fail a dead letter in flight.
    private async ValueTask<IChannel> ProbeChannelAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _probeChannel) is { IsOpen: true } open)
        {
            return open;
        }

        await _gate.WaitAsync(ct);
        try
        {
            return _probeChannel is { IsOpen: true } opened ? opened : _probeChannel = await OpenChannelAsync(topology.DeclareProbeAsync, ct);
        }
        finally
        {
            _gate.Release();
        }
    }
}
