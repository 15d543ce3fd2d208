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
    public static IResourceBuilder<ProjectResource> WithProbeEndpoint(this IResourceBuilder<ProjectResource> worker, int port) =>
        worker
            .WithHttpEndpoint(port: port, targetPort: worker.ApplicationBuilder.ExecutionContext.IsPublishMode ? port : null, name: EndpointName)
            .WithHttpHealthCheck(ReadyPath, HealthyStatusCode, EndpointName);
}
