using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Worker.Health;

/// <summary>
/// The start-up work readiness waits for, as in aspire-samples' database initializer check: the migration applied,
/// the topology declared, the consumer started.
/// </summary>
public sealed class StartupProgress : IHealthCheck
{
    private volatile bool _migrated;
    private volatile bool _topologyDeclared;
    private volatile bool _consuming;

    public void MarkMigrated() => _migrated = true;

    public void MarkTopologyDeclared() => _topologyDeclared = true;

    public void MarkConsuming(bool consuming) => _consuming = consuming;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !_migrated ? HealthCheckResult.Unhealthy("The schema migration has not been applied yet.")
            : !_topologyDeclared ? HealthCheckResult.Unhealthy("The queue topology has not been declared yet.")
            : !_consuming ? HealthCheckResult.Unhealthy("The consumer is not consuming.")
            : HealthCheckResult.Healthy());
}
