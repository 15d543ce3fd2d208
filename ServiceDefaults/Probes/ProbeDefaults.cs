namespace ServiceDefaults.Probes;

/// <summary>
/// Where the probes are served: the one source the AppHost, the worker's commands and the options' defaults read.
/// (Worker.csproj's container port says 8000 in MSBuild; a test holds it to <see cref="Port"/>.)
/// </summary>
public static class ProbeDefaults
{
    /// <summary>The named Kestrel endpoint the probes listen on, apart from any other traffic.</summary>
    public const string EndpointName = "probes";

    /// <summary>The page's probe port.</summary>
    public const int Port = 8000;

    public const string AlivePath = "/internal/alive";

    public const string ReadyPath = "/internal/ready";

    /// <summary>The page's healthy answer: 204 with an empty body.</summary>
    public const int HealthyStatusCode = 204;

    public const int UnhealthyStatusCode = 500;
}
