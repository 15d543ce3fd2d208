using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ServiceDefaults.Probes;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Readiness: the broker blocks none of the worker's connections (a memory or disk alarm) and confirms a write to the
/// probe queue on the dead-letter connection. Either failing stops messages from completing while the broker still
/// answers its own check. The probe publish is what makes the broker report an alarm at all: it tells only
/// connections that publish. With the work queue a quorum queue, so is the probe queue, and the confirm says that a
/// majority of the nodes takes writes: without one, the work queue has no leader.
/// </summary>
public sealed class BrokerFlowHealthCheck(
    PipelineStatus status, IDeadLetterPublisher deadLetters, TimeProvider time, IOptions<ProbeOptions> probes, IOptions<MessagingOptions> messaging)
    : IHealthCheck
{
    // Inside the check's own bound, so that a missing confirm is reported with what it means, not as a check that
    // did not answer.
    private readonly TimeSpan _confirmWithin = probes.Value.CheckTimeout * 0.8;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (status.Blocked.Count > 0)
        {
            return HealthCheckResult.Unhealthy($"The broker blocks {string.Join(", ", status.Blocked.Select(b => $"the {b.Key} connection ({b.Value})"))}.");
        }

        // The probe runs even while a dead letter failed: its confirm says the dead-letter connection works.
        using var bound = new CancellationTokenSource(_confirmWithin, time);
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        try
        {
            await deadLetters.ProbeAsync(probe.Token);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(
                $"The broker has not confirmed a write to {messaging.Value.ProbeQueue} within {_confirmWithin.TotalSeconds:0.##} s: " +
                "a quorum queue takes none while most of its nodes are down, and the work queue then has no leader (or the broker is too slow to take writes)." + LastDeadLetter());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(
                $"The broker does not confirm a publish on the dead-letter connection: {ex.Message}" + LastDeadLetter(), ex);
        }
    }

    private string LastDeadLetter() => status.DeadLetterProblem is { } problem ? $" The last dead letter: {problem}." : "";
}
