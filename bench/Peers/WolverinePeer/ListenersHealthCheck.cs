using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace WolverinePeer;

/// <summary>
/// Wolverine's listener health check, written here from the listener states its documentation describes: the
/// package that ships it (WolverineFx.HealthChecks) is not served on this machine. Unhealthy unless every external
/// listener is Accepting.
/// </summary>
public sealed class ListenersHealthCheck(IWolverineRuntime runtime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var listeners = runtime.Endpoints.ActiveListeners().Where(l => l.Uri.Scheme != "local").ToList();
        var notAccepting = listeners.Where(l => l.Status != ListeningStatus.Accepting).Select(l => $"{l.Uri}: {l.Status}").ToList();
        return Task.FromResult(listeners.Count == 0
            ? HealthCheckResult.Unhealthy("no listener")
            : notAccepting.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(string.Join("; ", notAccepting)));
    }
}
