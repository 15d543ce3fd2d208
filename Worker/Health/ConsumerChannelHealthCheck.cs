using Microsoft.Extensions.Diagnostics.HealthChecks;
using Worker.Messaging;

namespace Worker.Health;

public enum ConsumerChannelState
{
    NotStarted,
    Open,
    Recovering,
    ClosedOnLiveConnection,
}

/// <summary>
/// Liveness: the consumer's channel is open, or its connection is down and the client is recovering it. A channel
/// closed on a live connection (a channel-level error) is never recovered by the client: only a restart helps.
/// Reads memory only.
/// </summary>
public sealed class ConsumerChannelHealthCheck(MessageConsumer consumer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(consumer.ChannelState switch
        {
            ConsumerChannelState.ClosedOnLiveConnection => HealthCheckResult.Unhealthy("The consumer's channel is closed while its connection is open."),
            _ => HealthCheckResult.Healthy(consumer.ChannelState.ToString()),
        });
}
