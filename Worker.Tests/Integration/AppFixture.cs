using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Worker.Tests.Integration;

/// <summary>
/// One running app (three servers and the worker) shared by the integration tests of <see cref="AppCollection"/>, with
/// the servers as local processes. <see cref="Containers.ContainersAppFixture"/> runs the same app with containers.
/// </summary>
public class AppFixture : RunningApp, IAsyncLifetime
{
    /// <summary>The worker's Probes:StallAfter here: short, so that a stall test does not wait the default 30 s.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(8);

    private readonly CancellationTokenSource _stop = new();

    public ResourceLogs Logs { get; } = new();

    public ProbeClient Probes { get; private set; } = null!;

    /// <summary>The AppHost's arguments.</summary>
    protected virtual string[] Arguments => ["--BackingServices:Mode=processes"];

    /// <summary>Settings of every worker.</summary>
    protected virtual IEnumerable<(string Key, string Value)> WorkerEnvironment => [("Probes__StallAfter", StallAfter.ToString("c"))];

    // The dashboard runs too: the worker exports its telemetry there as under `dotnet run`, and DashboardTests look at it.
    protected virtual bool Dashboard => true;

    public virtual async Task InitializeAsync()
    {
        await StartAsync<Projects.AppHost>(Arguments, Dashboard, builder =>
        {
            foreach (var (worker, (key, value)) in Workers.SelectMany(worker => WorkerEnvironment.Select(setting => (worker, setting))))
            {
                builder.CreateResourceBuilder<ProjectResource>(worker).WithEnvironment(key, value);
            }
        });
        Probes = new ProbeClient(App.CreateHttpClient("worker", "probes"));
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    protected override void OnStarted()
    {
        var servers = App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is ExecutableResource or ContainerResource).Select(r => r.Name);
        foreach (var resource in Workers.Concat(servers))
        {
            Logs.Follow(App, resource, _stop.Token);
        }
    }

    protected override string LastLines(string resource) => Logs.Tail(resource);

    protected override async ValueTask DisposeAsyncCore()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        await base.DisposeAsyncCore();
    }
}

[CollectionDefinition(nameof(AppCollection))]
public sealed class AppCollection : ICollectionFixture<AppFixture>;
