using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ServiceDefaults.Probes;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire's service defaults, adapted for a worker: telemetry, service discovery, HttpClient resilience, and the two
/// probes of the page this project ports.
/// </summary>
public static class Extensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddProbes();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// Maps the liveness and readiness probes in every environment: Kubernetes probes Production, where Aspire's
    /// template maps nothing.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapProbes();
        return app;
    }
}
