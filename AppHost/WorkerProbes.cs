using System.Globalization;
using ServiceDefaults.Probes;

namespace AppHost;

/// <summary>
/// The worker's probes in the app model: the port of the page, and the startup, liveness and readiness probes with
/// the timings deploy/kubernetes/worker.yaml explains (a test holds the overlay to these). Aspire's Kubernetes and
/// Azure Container Apps publishers turn them into real probes; the manifest carries none, and aspirate reads
/// neither, which is why the overlay exists. Locally, readiness is the health check the dashboard and WaitFor use.
/// </summary>
public static class WorkerProbes
{
    /// <summary>Type, path, period, timeout and failure threshold of each probe.</summary>
    public static IReadOnlyList<(ProbeType Type, string Path, int PeriodSeconds, int TimeoutSeconds, int FailureThreshold)> Timings { get; } =
    [
        (ProbeType.Startup, ProbeDefaults.AlivePath, 2, 1, 30),
        (ProbeType.Liveness, ProbeDefaults.AlivePath, 10, 1, 3),
        (ProbeType.Readiness, ProbeDefaults.ReadyPath, 5, 1, 2),
    ];

    public static IResourceBuilder<ProjectResource> WithProbes(this IResourceBuilder<ProjectResource> worker, int port)
    {
        if (worker.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            // aspirate's ConfigMap sets ASPNETCORE_URLS=http://+:8080 for every project; an explicit Kestrel endpoint
            // overrides it, so the container listens where the probes look.
            worker.WithHttpEndpoint(port: port, targetPort: port, name: ProbeDefaults.EndpointName)
                .WithEnvironment($"Kestrel__Endpoints__{ProbeDefaults.EndpointName}__Url", string.Create(CultureInfo.InvariantCulture, $"http://+:{port}"));
        }
        else
        {
            // WithHttpHealthCheck, not WithHttpProbe's own check: that one expects 200, the page's contract is 204.
            worker.WithHttpEndpoint(port: port, name: ProbeDefaults.EndpointName)
                .WithHttpHealthCheck(ProbeDefaults.ReadyPath, ProbeDefaults.HealthyStatusCode, ProbeDefaults.EndpointName);
        }

        var endpoint = worker.GetEndpoint(ProbeDefaults.EndpointName);
        foreach (var (type, path, period, timeout, failures) in Timings)
        {
            worker.WithAnnotation(new EndpointProbeAnnotation
            {
                Type = type,
                EndpointReference = endpoint,
                Path = path,
                PeriodSeconds = period,
                TimeoutSeconds = timeout,
                FailureThreshold = failures,
            });
        }

        return worker;
    }
}
