using Microsoft.Extensions.DependencyInjection;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// One running app (three servers and the worker) shared by the integration tests of <see cref="AppCollection"/>.
/// Auto mode: local processes on a machine without a container engine, containers where one answers.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The worker's Probes:StallAfter here: short, so that a stall test does not wait the default 30 s.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(8);

    private readonly CancellationTokenSource _stop = new();
    private DistributedApplication? _app;

    public ResourceLogs Logs { get; } = new();

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    public ProbeClient Probes { get; private set; } = null!;

    /// <summary>The workers of the model: <c>worker</c>, and <c>worker-2</c>… when it runs several.</summary>
    public IReadOnlyList<string> Workers { get; private set; } = [];

    /// <summary>Whether the servers run as local processes (no container engine), which some tests need.</summary>
    public bool LocalServers { get; private set; }

    /// <summary>The AppHost's arguments.</summary>
    protected virtual string[] Arguments => ["--BackingServices:Mode=auto"];

    // The dashboard runs too: the worker exports its telemetry there as under `dotnet run`, and DashboardTests look at it.
    protected virtual bool Dashboard => true;

    public async Task InitializeAsync()
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = Dashboard }, Arguments, cancellation.Token);
        Workers = [.. builder.Resources.OfType<ProjectResource>().Select(r => r.Name).Where(name => name.StartsWith("worker", StringComparison.Ordinal))];
        LocalServers = builder.Resources.Single(r => r.Name == "rabbitmq") is ExecutableResource;
        foreach (var worker in Workers)
        {
            builder.CreateResourceBuilder<ProjectResource>(worker).WithEnvironment("Probes__StallAfter", StallAfter.ToString("c"));
        }

        _app = await builder.BuildAsync(cancellation.Token);
        await Within.Async(App.StartAsync(cancellation.Token), StartTimeout, "Starting the app");
        foreach (var resource in Workers.Concat(["rabbitmq", "redis", "postgres"]))
        {
            Logs.Follow(App, resource, _stop.Token);
        }

        foreach (var worker in Workers)
        {
            await WaitForHealthyAsync(worker);
        }

        Probes = new ProbeClient(App.CreateHttpClient("worker", "probes"));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        if (_app is not null)
        {
            await Within.Async(_app.StopAsync(), TimeSpan.FromMinutes(1), "Stopping the app");
            await _app.DisposeAsync();
        }
    }

    /// <summary>Waits until Aspire's own health checks pass for a resource, saying why not when they don't.</summary>
    public async Task WaitForHealthyAsync(string resource)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        try
        {
            // Right after resource-start the last state may still be the old instance's Exited, which the health
            // wait reads as a failed start: wait for Running first.
            await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.Running, cancellation.Token);
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"{resource} was not healthy within {StartTimeout}: {HealthOf(resource)}. Its last lines:{Environment.NewLine}{Logs.Tail(resource)}");
        }
    }

    /// <summary>Runs one of Aspire's lifecycle commands (resource-stop, resource-start) on a resource.</summary>
    public async Task ExecuteCommandAsync(string resource, string command)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var result = await Within.Async(commands.ExecuteCommandAsync(resource, command), CommandTimeout, $"{command} on {resource}");
        Assert.True(result.Success, $"{command} on {resource} failed: {result.Message}. Its last lines:{Environment.NewLine}{Logs.Tail(resource)}");
    }

    /// <summary>What Aspire's own health checks last said of a resource.</summary>
    public string HealthOf(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? string.Join("; ", state.Snapshot.HealthReports.Select(r => $"{r.Name}: {r.Status} {r.Description} {r.ExceptionText}"))
            : "no state";

    /// <summary>
    /// The process id Aspire reports for a resource, which changes when it restarts. A container has none: that fails
    /// here, never as a 0 that a signal would read as "every process".
    /// </summary>
    public int ProcessId(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"No state for {resource}.");
        var pid = state.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value;
        var id = pid is null ? 0 : Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
        return id > 1 ? id : throw new InvalidOperationException($"{resource} has no process of its own (a container?): pid '{pid}'.");
    }
}

[CollectionDefinition(nameof(AppCollection))]
public sealed class AppCollection : ICollectionFixture<AppFixture>;
