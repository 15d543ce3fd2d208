using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ServiceDefaults.Probes;

public static class ProbeRegistration
{
    /// <summary>
    /// Registers the probe state and its refresher: .NET's health-check publisher runs every check in parallel at
    /// Probes:RefreshInterval, each bounded by Probes:CheckTimeout, and publishes the report to <see cref="ProbeState"/>.
    /// </summary>
    public static TBuilder AddProbes<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ProbeOptions>()
            .BindConfiguration(ProbeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptionsRules<ProbeOptions>((options, _) => ProbeOptions.Validate(options));

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProbeState>();
        builder.Services.AddSingleton<IHealthCheckPublisher>(sp => sp.GetRequiredService<ProbeState>());
        builder.Services.AddSingleton<InFlightHealthChecks>();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [ProbeTags.Live]);

        builder.Services.AddOptions<HealthCheckPublisherOptions>()
            .Configure<IOptions<ProbeOptions>>((publisher, probes) =>
            {
                publisher.Delay = TimeSpan.Zero;
                publisher.Period = probes.Value.RefreshInterval;
                publisher.Timeout = probes.Value.RefreshInterval;
            });

        builder.Services.AddOptions<HealthCheckServiceOptions>()
            .PostConfigure<IOptions<ProbeOptions>, TimeProvider>((health, probes, time) => BoundDependencyChecks(health, probes.Value, time));

        return builder;
    }

    // Runs after every AddHealthChecks call, the Aspire client integrations' included.
    private static void BoundDependencyChecks(HealthCheckServiceOptions health, ProbeOptions probes, TimeProvider time)
    {
        var registrations = health.Registrations.ToList();
        health.Registrations.Clear();
        foreach (var registration in registrations)
        {
            health.Registrations.Add(registration.Tags.Contains(ProbeTags.Live) ? registration : Bound(registration, probes.CheckTimeout, time));
        }
    }

    private static HealthCheckRegistration Bound(HealthCheckRegistration inner, TimeSpan timeout, TimeProvider time) =>
        new(
            inner.Name,
            sp => new BoundedHealthCheck(inner, sp.GetRequiredService<InFlightHealthChecks>(), sp.GetRequiredService<IServiceScopeFactory>(), timeout, time),
            inner.FailureStatus,
            inner.Tags.Append(ProbeTags.Ready));
}
