using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Worker.Tests.Support;

namespace Bench;

/// <summary>The whole system (three servers and the worker), started the way the integration tests start it.</summary>
public sealed class BenchApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private DistributedApplication? _app;

    private BenchApp()
    {
    }

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>
    /// When set, the worker samples this share of its traces from its next start on, as deploy/kubernetes sets it;
    /// otherwise it keeps Aspire's development default, every trace.
    /// </summary>
    public double? TraceSampleRatio { get; set; }

    /// <summary>Settings given to the worker from its next start on (bench/run.sh --worker-env KEY=VALUE).</summary>
    public Dictionary<string, string> WorkerSettings { get; } = [];

    public static async Task<BenchApp> StartAsync()
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        var bench = new BenchApp();
        // Three workers for R4; all but the first are stopped while the other scenarios run.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--BackingServices:Mode=auto", $"--Worker:Replicas={Workers.Length}"], cancellation.Token);
        // Environment callbacks run at every start, so a restarted worker picks up the current setting.
        foreach (var worker in Workers)
        {
            Configure(builder.CreateResourceBuilder<ProjectResource>(worker), bench);
        }

        bench._app = await builder.BuildAsync(cancellation.Token);
        await bench.App.StartAsync(cancellation.Token);
        await bench.App.ResourceNotifications.WaitForResourceHealthyAsync("worker", cancellation.Token);
        foreach (var extra in Workers[1..])
        {
            await bench.CommandAsync(extra, "resource-stop");
        }

        return bench;
    }

    /// <summary>The workers the AppHost runs for the bench; only the first is running unless R4 starts the others.</summary>
    public static string[] Workers { get; } = ["worker", "worker-2", "worker-3"];

    private static void Configure(IResourceBuilder<ProjectResource> worker, BenchApp bench) =>
        worker.WithEnvironment(context =>
        {
            foreach (var (key, value) in bench.WorkerSettings)
            {
                context.EnvironmentVariables[key] = value;
            }

            if (bench.TraceSampleRatio is { } ratio)
            {
                context.EnvironmentVariables["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio";
                context.EnvironmentVariables["OTEL_TRACES_SAMPLER_ARG"] = ratio.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        });

    /// <summary>
    /// A probe at the worker's own port. Aspire's orchestrator proxies the published port; measuring behind that proxy
    /// would charge the worker for it, while the bare-Kestrel baseline has none.
    /// </summary>
    public Uri Probe(string path)
    {
        var urls = ProcessTree.Environment(WorkerProcessId())["ASPNETCORE_URLS"];
        return new Uri(new Uri(urls.Split(';')[0]), path);
    }

    public async Task<string> ConnectionStringAsync(string name) =>
        await App.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string for {name}.");

    public async Task CommandAsync(string resource, string command)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command)
            .WaitAsync(TimeSpan.FromMinutes(1));
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}");
        }
    }

    public async Task WaitHealthyAsync(string resource)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        // Right after resource-start the last state may still be the old instance's Exited: wait for Running first.
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.Running, cancellation.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellation.Token);
    }

    /// <summary>Stops the worker, runs <paramref name="whileStopped"/> (queueing messages), starts it, and waits until it is healthy.</summary>
    public async Task WhileWorkerStoppedAsync(Func<Task> whileStopped)
    {
        await CommandAsync("worker", "resource-stop");
        await whileStopped();
        await CommandAsync("worker", "resource-start");
        await WaitHealthyAsync("worker");
    }

    /// <summary>The worker's own process: Aspire reports the pid of `dotnet run`, whose child it is.</summary>
    public int WorkerProcessId(string worker = "worker")
    {
        var parent = ResourceProcessId(worker);
        return ProcessTree.Descendants(parent).FirstOrDefault(pid => ProcessTree.Name(pid) == "Worker", parent);
    }

    /// <summary>The process of a resource that runs now, or null (stopped, or a container).</summary>
    public int? TryResourceProcessId(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
        && state.Snapshot.State?.Text == KnownResourceStates.Running
        && state.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } pid
        && Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture) is > 1 and var id
            ? id
            : null;

    /// <summary>The process Aspire started for a resource (for a local server, the runuser or sh that runs it).</summary>
    public int ResourceProcessId(string resource)
    {
        App.ResourceNotifications.TryGetCurrentState(resource, out var state);
        return Convert.ToInt32(state!.Snapshot.Properties.First(p => p.Name.EndsWith(".pid", StringComparison.Ordinal)).Value,
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The worker's probes through the orchestrator's proxy, whose port stays the same when the worker restarts.</summary>
    public Uri ProxiedProbe(string path) => new(App.GetEndpoint("worker", "probes"), path);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await App.DisposeAsync();
    }
}
