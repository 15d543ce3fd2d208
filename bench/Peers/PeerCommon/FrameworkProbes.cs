using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace PeerCommon;

public static class FrameworkProbes
{
    /// <summary>
    /// The probes as MassTransit's and Wolverine's documentation map them, on this worker's paths: readiness runs the
    /// checks tagged "ready", liveness runs none (the process answering is all it asks). ASP.NET's defaults answer:
    /// 200 healthy or degraded, 503 unhealthy.
    /// </summary>
    public static IEndpointRouteBuilder MapFrameworkProbes(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/internal/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        endpoints.MapHealthChecks("/internal/alive", new HealthCheckOptions { Predicate = _ => false });
        return endpoints;
    }
}
