using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices.Local;

/// <summary>The resolved connection string of a resource, for the AppHost's own health checks.</summary>
internal sealed class TrackedConnectionString(string resourceName)
{
    private string? _value;

    public string Value => _value ?? throw new InvalidOperationException($"The connection string of '{resourceName}' is not available yet.");

    public void Set(string? value) => _value = value;
}

internal static class ConnectionStringTracking
{
    /// <summary>Keeps the connection string once Aspire publishes it, the way the official integrations do.</summary>
    public static TrackedConnectionString TrackConnectionString(this IDistributedApplicationBuilder builder, IResourceWithConnectionString resource)
    {
        var tracked = new TrackedConnectionString(resource.Name);
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, ct) =>
            tracked.Set(await resource.GetConnectionStringAsync(ct).ConfigureAwait(false)));
        return tracked;
    }
}
