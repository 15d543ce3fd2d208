using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Liveness: fails when an attempt at a batch has run past Messaging:StuckHandlerThreshold, the deadlock or
/// starvation the page says liveness should catch. Attempts are bounded well below the threshold, so a dependency
/// outage (which only makes attempts fail and back off) never trips it. Reads memory only.
/// </summary>
public sealed class HandlerWatchdog(PipelineStatus status, IOptions<MessagingOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.StuckHandlerThreshold;
        var longest = status.LongestAttempt;
        return Task.FromResult(longest > threshold
            ? HealthCheckResult.Unhealthy($"A message handler has run for {longest.TotalSeconds:0} s, past the {threshold.TotalSeconds:0} s threshold.")
            : HealthCheckResult.Healthy());
    }
}
