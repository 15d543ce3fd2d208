using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Harness;

/// <summary>
/// The whole system (three servers and its workers) started from the AppHost through Aspire's testing builder, as the
/// integration tests and the bench both use it: it waits for health, runs resource commands, finds each resource's
/// process and reads connection strings. Every wait is bounded, and says what it waited for when it fails.
/// </summary>
public class RunningApp : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(1);

    private DistributedApplication? _app;

    /// <summary>How long starting the app, or one resource, may take: longer where more workers start on two cores.</summary>
    protected virtual TimeSpan StartTimeout => TimeSpan.FromSeconds(120);

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>The workers of the model: <c>worker</c>, and <c>worker-2</c>… when it runs several.</summary>
    public IReadOnlyList<string> Workers { get; private set; } = [];

    /// <summary>Whether the servers run as local processes rather than containers.</summary>
    public bool LocalServers { get; private set; }

    /// <summary>Builds the app from <typeparamref name="TAppHost"/>, lets <paramref name="configure"/> change the model, starts it, and waits until every worker is healthy.</summary>
    protected async Task StartAsync<TAppHost>(string[] args, bool dashboard, Action<IDistributedApplicationTestingBuilder> configure)
        where TAppHost : class
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<TAppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = dashboard }, args, cancellation.Token);
        Workers = [.. builder.Resources.OfType<ProjectResource>().Select(r => r.Name).Where(name => name.StartsWith("worker", StringComparison.Ordinal))];
        LocalServers = builder.Resources.Single(r => r.Name == "rabbitmq") is ExecutableResource;
        configure(builder);
        _app = await builder.BuildAsync(cancellation.Token);
        await Within.Async(_app.StartAsync(cancellation.Token), StartTimeout, "Starting the app");
        OnStarted();
        foreach (var worker in Workers)
        {
            await WaitForHealthyAsync(worker);
        }
    }

    /// <summary>Called once the app runs, before the wait for health: where log followers start.</summary>
    protected virtual void OnStarted()
    {
    }

    /// <summary>The last lines a resource wrote, for failure messages; none unless a subclass follows the logs.</summary>
    protected virtual string LastLines(string resource) => "";

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
                $"{resource} was not healthy within {StartTimeout}: {HealthOf(resource)}. Its last lines:{Environment.NewLine}{LastLines(resource)}");
        }
    }

    /// <summary>Runs one of Aspire's lifecycle commands (resource-stop, resource-start) on a resource.</summary>
    public async Task ExecuteCommandAsync(string resource, string command)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var result = await Within.Async(commands.ExecuteCommandAsync(resource, command), CommandTimeout, $"{command} on {resource}");
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}. Its last lines:{Environment.NewLine}{LastLines(resource)}");
        }
    }

    /// <summary>What Aspire's own health checks last said of a resource.</summary>
    public string HealthOf(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? string.Join("; ", state.Snapshot.HealthReports.Select(r => $"{r.Name}: {r.Status} {r.Description} {r.ExceptionText}"))
            : "no state";

    /// <summary>
    /// The process Aspire started for a running resource (for a local server, the runuser or sh that runs it), which
    /// changes when it restarts. A container has none, and a stopped resource's pid may belong to another process by
    /// now: both fail here, never as a 0 or a stale pid that a signal would reach.
    /// </summary>
    public int ProcessId(string resource) =>
        TryProcessId(resource) ?? throw new InvalidOperationException($"{resource} is not running as a process of its own (stopped, or a container).");

    /// <summary>Runs rabbitmqctl against the app's local broker (the resource <c>rabbitmq</c>) and returns its output.</summary>
    public Task<string> BrokerCtlAsync(params string[] args) => NodeCtlAsync("rabbitmq", args);

    /// <summary>Runs rabbitmqctl against one node of the app's local broker cluster (<c>rabbitmq-node2</c>, …).</summary>
    public Task<string> NodeCtlAsync(string node, params string[] args) => LocalBroker.CtlAsync(LocalBroker.BeamProcess(ProcessId(node)), args);

    /// <summary>The process of a running resource, or null when it is not running or has none (a container).</summary>
    public int? TryProcessId(string resource) =>
        RunningProperty(resource, name => name.EndsWith(".pid", StringComparison.Ordinal)) is { } pid
        && Convert.ToInt32(pid, CultureInfo.InvariantCulture) is > 1 and var id
            ? id
            : null;

    /// <summary>The container of a running resource that runs as one.</summary>
    public string ContainerId(string resource) =>
        RunningProperty(resource, name => name == "container.id") is string { Length: > 0 } id
            ? id
            : throw new InvalidOperationException($"{resource} is not running as a container: {StateOf(resource)}.");

    // A property of the resource's current instance, only while it runs: a stopped one's may name what is gone.
    private object? RunningProperty(string resource, Func<string, bool> name) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state) && state.Snapshot.State?.Text == KnownResourceStates.Running
            ? state.Snapshot.Properties.FirstOrDefault(p => name(p.Name))?.Value
            : null;

    private string StateOf(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? $"{state.Snapshot.State?.Text}, {string.Join(", ", state.Snapshot.Properties.Select(p => $"{p.Name}={p.Value}"))}"
            : "no state";

    /// <summary>A worker's own process: Aspire reports the pid of `dotnet run`, whose child it is.</summary>
    public int WorkerProcessId(string worker = "worker")
    {
        var parent = ProcessId(worker);
        return ProcessTree.Descendants(parent).FirstOrDefault(pid => ProcessTree.Name(pid) == "Worker", parent);
    }

    public async Task<string> ConnectionStringAsync(string name) =>
        await App.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string for {name}.");

    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    protected virtual async ValueTask DisposeAsyncCore()
    {
        if (_app is not null)
        {
            await Within.Async(_app.StopAsync(), StopTimeout, "Stopping the app");
            await _app.DisposeAsync();
        }
    }
}
