using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace AppHost.BackingServices.Local;

/// <summary>
/// What every local server shares: its binary from the distribution's package, the account it runs as (through
/// runuser when the AppHost is root), its private directory under this app's run directory, its primary endpoint, and
/// an AppHost health check on its connection string, which WaitFor honours as it does for the official integrations.
/// </summary>
internal sealed record LocalServer(string Binary, ServiceUser User, string Home)
{
    /// <summary>The command DCP starts: the binary itself, or runuser in front of it.</summary>
    public string Command => User.Command(Binary);

    public static LocalServer Prepare(IDistributedApplicationBuilder builder, string name, string? binary, string what, string systemUser)
    {
        var path = LocalServerBinaries.Require(binary, what);
        var user = ServiceUser.For(systemUser);
        return new LocalServer(path, user, RunDirectory.Of(builder).ServerDirectory(name, user));
    }

    /// <summary>A generated password the servers' config files can carry: letters and digits only.</summary>
    public static ParameterResource DefaultPassword(IDistributedApplicationBuilder builder, string name) =>
        ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, name, special: false);

    public IResourceBuilder<T> AddResource<T>(
        IDistributedApplicationBuilder builder,
        T server,
        string primaryEndpointName,
        Action<IHealthChecksBuilder, string, TrackedConnectionString> addHealthCheck,
        Action<IList<object>>? args = null,
        string? portEnvironmentVariable = null)
        where T : ExecutableResource, IResourceWithConnectionString
    {
        var healthCheckKey = $"{server.Name}_check";
        addHealthCheck(builder.Services.AddHealthChecks(), healthCheckKey, builder.TrackConnectionString(server));
        return builder.AddResource(server)
            .WithEndpoint(name: primaryEndpointName, scheme: "tcp", env: portEnvironmentVariable)
            .WithArgs(context =>
            {
                context.Args.Append(User.PrefixArgs(Binary));
                args?.Invoke(context.Args);
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }
}
