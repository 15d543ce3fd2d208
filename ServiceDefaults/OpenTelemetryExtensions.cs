using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ServiceDefaults.Probes;

namespace Microsoft.Extensions.Hosting;

public static class OpenTelemetryExtensions
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(2);

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(builder.Environment.ApplicationName, ProbeState.MeterName))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());

        // Probes are polled every few seconds: a trace per probe would drown the dashboard.
        builder.Services.AddOptions<OpenTelemetry.Instrumentation.AspNetCore.AspNetCoreTraceInstrumentationOptions>()
            .Configure<IOptions<ProbeOptions>>((tracing, probes) =>
                tracing.Filter = context => !IsProbe(context.Request.Path, probes.Value));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
            // Each provider flushes on shutdown, and an export to a collector that is down retries until its timeout
            // (10 s by default): three providers could then hold the process past its grace period.
            builder.Services.ConfigureAll<OtlpExporterOptions>(otlp => otlp.TimeoutMilliseconds = (int)ExportTimeout.TotalMilliseconds);
        }

        return builder;
    }

    private static bool IsProbe(PathString path, ProbeOptions probes) =>
        path.StartsWithSegments(probes.AlivePath) || path.StartsWithSegments(probes.ReadyPath);
}
