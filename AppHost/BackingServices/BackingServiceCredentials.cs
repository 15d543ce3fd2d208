using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices;

/// <summary>
/// Credentials as Aspire parameters: generated unless supplied as Parameters:{name}-password (user secrets, environment,
/// or the deployment tool's prompt). No literal password lives in the code.
/// </summary>
public sealed class BackingServiceCredentials(IDistributedApplicationBuilder builder)
{
    /// <summary>The user the worker connects as, where the AppHost creates it.</summary>
    public const string WorkerUserName = "worker";

    public IResourceBuilder<ParameterResource> Password(string resourceName) =>
        builder.AddParameter($"{resourceName}-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true);

    public IResourceBuilder<ParameterResource> UserName(string resourceName) =>
        builder.AddParameter($"{resourceName}-username", WorkerUserName, publishValueAsDefault: true);
}
