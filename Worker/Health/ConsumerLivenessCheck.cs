using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Liveness, where only a restart helps: the batch loop ended, or the worker has had no consumer for longer than
/// Messaging:ConsumerLostThreshold although the broker's connection is open. A broker outage never counts (the client
/// recovers the connection), nor does a broker that answers with a refusal (a restart would meet the same answer).
/// Reads memory only.
/// </summary>
public sealed class ConsumerLivenessCheck(PipelineStatus status, IOptions<MessagingOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.ConsumerLostThreshold;
        var lostFor = status.ConsumerLostFor;
        return Task.FromResult(
            status.LoopFailure is { } failure ? HealthCheckResult.Unhealthy($"The batch loop ended: {failure}")
            : lostFor > threshold ? HealthCheckResult.Unhealthy(
                $"No consumer for {lostFor.TotalSeconds:0} s on an open connection, past the {threshold.TotalSeconds:0} s threshold: {status.ConsumerProblem}")
            : HealthCheckResult.Healthy());
    }
}
