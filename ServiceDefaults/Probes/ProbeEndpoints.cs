using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ServiceDefaults.Probes;

public static class ProbeEndpoints
{
    /// <summary>
    /// Maps the two probes. They read <see cref="ProbeState"/> and call nothing, so each answer is a few memory reads;
    /// the body is empty either way, and the reason for a failure goes to the log.
    /// </summary>
    public static IEndpointRouteBuilder MapProbes(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<ProbeOptions>>().Value;
        var state = endpoints.ServiceProvider.GetRequiredService<ProbeState>();
        var healthy = Results.StatusCode(options.HealthyStatusCode);
        var unhealthy = Results.StatusCode(options.UnhealthyStatusCode);

        // Short-circuited after routing, and without per-request HTTP metrics: a probe polled by kubelet and load
        // balancers should cost about what a bare endpoint does.
        endpoints.MapGet(options.AlivePath, () => state.IsAlive ? healthy : unhealthy).ExcludeFromDescription().ShortCircuit().DisableHttpMetrics();
        endpoints.MapGet(options.ReadyPath, () => state.IsReady ? healthy : unhealthy).ExcludeFromDescription().ShortCircuit().DisableHttpMetrics();
        return endpoints;
    }
}
