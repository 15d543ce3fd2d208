using System.Globalization;

namespace AppHost;

public static class WorkerProbeExtensions
{
    public const string EndpointName = "probes";
    public const string ReadyPath = "/internal/ready";

    /// <summary>The page's healthy answer; the worker's Probes:HealthyStatusCode default.</summary>
    public const int HealthyStatusCode = 204;

    /// <summary>
    /// The probe port of the page (8000), and the readiness check the dashboard shows. Publishing pins the target
    /// port too, so the container listens on 8000 whatever the deployment tool sets.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithProbeEndpoint(this IResourceBuilder<ProjectResource> worker, int port)
    {
        if (!worker.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return worker
                .WithHttpEndpoint(port: port, name: EndpointName)
                .WithHttpHealthCheck(ReadyPath, HealthyStatusCode, EndpointName);
        }

        // aspirate's ConfigMap sets ASPNETCORE_URLS=http://+:8080 for every project; an explicit Kestrel endpoint
        // overrides it, so the container listens where the probes look.
        return worker
            .WithHttpEndpoint(port: port, targetPort: port, name: EndpointName)
            .WithEnvironment($"Kestrel__Endpoints__{EndpointName}__Url", string.Create(CultureInfo.InvariantCulture, $"http://+:{port}"));
    }
}
