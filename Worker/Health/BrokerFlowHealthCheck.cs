using Microsoft.Extensions.Diagnostics.HealthChecks;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Readiness: the broker blocks none of the worker's connections (a memory or disk alarm), and dead letters can be
/// published. Either one stops messages from completing, while the broker itself still answers. Reads memory only.
/// </summary>
public sealed class BrokerFlowHealthCheck(PipelineStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            status.Blocked.Count > 0
                ? HealthCheckResult.Unhealthy($"The broker blocks {string.Join(", ", status.Blocked.Select(b => $"the {b.Key} connection ({b.Value})"))}.")
            : status.DeadLetterProblem is { } problem ? HealthCheckResult.Unhealthy($"Dead letters cannot be published: {problem}.")
            : HealthCheckResult.Healthy());
}
