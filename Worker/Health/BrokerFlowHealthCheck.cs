using Microsoft.Extensions.Diagnostics.HealthChecks;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Readiness: the broker blocks none of the worker's connections (a memory or disk alarm) and confirms a publish on
/// the dead-letter connection. Either failing stops messages from completing while the broker still answers its own
/// check. The probe publish is what makes the broker report an alarm at all: it tells only connections that publish.
/// </summary>
public sealed class BrokerFlowHealthCheck(PipelineStatus status, IDeadLetterPublisher deadLetters) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (status.Blocked.Count > 0)
        {
            return HealthCheckResult.Unhealthy($"The broker blocks {string.Join(", ", status.Blocked.Select(b => $"the {b.Key} connection ({b.Value})"))}.");
        }

        // The probe runs even while a dead letter failed: its confirm is what says the channel works again.
        try
        {
            await deadLetters.ProbeAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(
                $"The broker does not confirm a publish on the dead-letter connection: {ex.Message}" +
                (status.DeadLetterProblem is { } problem ? $" The last dead letter: {problem}." : ""), ex);
        }
    }
}
