using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AppHost.BackingServices.Local;

/// <summary>
/// What every local server shares: its binary from the distribution's package, the account it runs as (through
/// runuser when the AppHost is root), its private directory under this app's run directory, its primary endpoint, and
/// an AppHost health check on its connection string, which WaitFor honours as it does for the official integrations.
/// </summary>
internal sealed partial record LocalServer(string Binary, ServiceUser User, string Home)
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
        Safe(builder, ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, name, special: false));

    /// <summary>
    /// A credential as the local servers take it: in config files (redis.conf, rabbitmq.conf) and connection strings,
    /// where a quote, '#', ',', ';', '@' or a line break would change their meaning. Generated values never hold one; a
    /// supplied value that does is refused at start, naming its parameter.
    /// </summary>
    public static ParameterResource Safe(IDistributedApplicationBuilder builder, ParameterResource parameter)
    {
        var key = $"Parameters:{parameter.Name}";
        if (builder.Configuration[key] is { } supplied && !SafeValue().IsMatch(supplied))
        {
            throw new InvalidOperationException(
                $"{key} holds characters the local servers' config files and connection strings cannot carry safely. " +
                "Use letters, digits, '.', '_', '~' and '-' only, or leave it unset to have one generated.");
        }

        return parameter;
    }

    public IResourceBuilder<T> AddResource<T>(
        IDistributedApplicationBuilder builder,
        T server,
        string primaryEndpointName,
        Action<IHealthChecksBuilder, string, TrackedConnectionString> addHealthCheck,
        Action<IList<object>>? args = null,
        string? portEnvironmentVariable = null,
        bool proxied = true)
        where T : ExecutableResource, IResourceWithConnectionString
    {
        var healthCheckKey = HealthCheckKey(server);
        addHealthCheck(builder.Services.AddHealthChecks(), healthCheckKey, builder.TrackConnectionString(server));
        return builder.AddResource(server)
            .WithEndpoint(name: primaryEndpointName, scheme: "tcp", env: portEnvironmentVariable, isProxied: proxied)
            .WithArgs(context =>
            {
                context.Args.Append(User.PrefixArgs(Binary));
                args?.Invoke(context.Args);
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }

    /// <summary>The key of the AppHost health check that <see cref="AddResource{T}"/> registers for a server.</summary>
    public static string HealthCheckKey(IResource server) => $"{server.Name}_check";

    [GeneratedRegex(@"\A[A-Za-z0-9._~-]+\z")]
    private static partial Regex SafeValue();
}
