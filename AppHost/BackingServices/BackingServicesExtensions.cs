using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AppHost.BackingServices;

public static class BackingServicesExtensions
{
    /// <summary>Chooses how the backing services run (see <see cref="BackingServiceMode"/>) and logs the choice.</summary>
    public static IBackingServices AddBackingServices(this IDistributedApplicationBuilder builder)
    {
        var (mode, reason) = BackingServiceModeResolver.Resolve(builder.Configuration, builder.ExecutionContext.IsPublishMode);
        var credentials = new BackingServiceCredentials(builder);
        var topology = BackingServiceTopology.Read(builder.Configuration);
        if (mode == BackingServiceMode.Containers)
        {
            topology.RequireSingleServers(builder.ExecutionContext.IsPublishMode ? "the manifest and so the deployment" : "containers");
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AppHost.BackingServices")
                .LogInformation("Backing services run as {Mode}: {Reason}.", mode, reason);
            return Task.CompletedTask;
        });

        return mode == BackingServiceMode.Containers
            ? new ContainerBackingServices(builder, credentials)
            : new ProcessBackingServices(builder, credentials, topology);
    }
}
