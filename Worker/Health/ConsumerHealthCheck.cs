using Microsoft.Extensions.Diagnostics.HealthChecks;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Readiness: the start-up work is done (schema migrated, topology declared) and a consumer is registered now, as in
/// aspire-samples' database initializer check. Reads memory only.
/// </summary>
public sealed class ConsumerHealthCheck(PipelineStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !status.Migrated ? HealthCheckResult.Unhealthy("The schema migration has not been applied yet.")
            : !status.TopologyDeclared ? HealthCheckResult.Unhealthy("The queue topology has not been declared yet.")
            : status.Consumer != ConsumerState.Consuming ? HealthCheckResult.Unhealthy($"No consumer: {status.ConsumerProblem ?? status.Consumer.ToString()}.")
            : HealthCheckResult.Healthy());
}
