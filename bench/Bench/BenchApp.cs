using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Harness;

namespace Bench;

/// <summary>The whole system (three servers and three workers, two of them stopped after the start), as the integration tests start it.</summary>
public sealed class BenchApp : RunningApp
{
    private BenchApp()
    {
    }

    /// <summary>
    /// When set, the worker samples this share of its traces from its next start on, as deploy/kubernetes sets it;
    /// otherwise it keeps Aspire's development default, every trace.
    /// </summary>
    public double? TraceSampleRatio { get; set; }

    /// <summary>Settings given to the worker from its next start on (bench/run.sh --worker-env KEY=VALUE).</summary>
    public Dictionary<string, string> WorkerSettings { get; } = [];

    protected override TimeSpan StartTimeout => TimeSpan.FromMinutes(3);

    /// <summary>The app of every figure but R1's failovers: three workers, the servers as containers where an engine answers.</summary>
    public static Task<BenchApp> StartAsync(IReadOnlyDictionary<string, string> workerSettings) =>
        StartAsync(["--BackingServices:Mode=auto", "--Worker:Replicas=3"], workerSettings);

    /// <summary>
    /// The app of R1's failovers: one worker, a three-node broker and a database with a synchronous standby, which
    /// only the processes mode runs.
    /// </summary>
    public static Task<BenchApp> StartFailoverAsync(IReadOnlyDictionary<string, string> workerSettings) =>
        StartAsync(["--BackingServices:Mode=processes", "--BackingServices:RabbitMQ:Nodes=3", "--BackingServices:Postgres:Standby=true"], workerSettings);

    private static async Task<BenchApp> StartAsync(string[] arguments, IReadOnlyDictionary<string, string> workerSettings)
    {
        var bench = new BenchApp();
        foreach (var (key, value) in workerSettings)
        {
            bench.WorkerSettings[key] = value;
        }

        try
        {
            // Environment callbacks run at every start, so a restarted worker picks up the current setting.
            await bench.StartAsync<Projects.AppHost>(arguments, dashboard: false, builder =>
            {
                foreach (var worker in bench.Workers)
                {
                    builder.CreateResourceBuilder<ProjectResource>(worker).WithEnvironment(bench.Configure);
                }
            });
            // Only the first worker runs unless R4 starts the others.
            foreach (var extra in bench.Workers.Skip(1))
            {
                await bench.ExecuteCommandAsync(extra, "resource-stop");
            }
        }
        catch
        {
            // A start that failed half-way has servers running: they end with the app.
            await bench.DisposeAsync();
            throw;
        }

        return bench;
    }

    private void Configure(EnvironmentCallbackContext context)
    {
        foreach (var (key, value) in WorkerSettings)
        {
            context.EnvironmentVariables[key] = value;
        }

        if (TraceSampleRatio is { } ratio)
        {
            context.EnvironmentVariables["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio";
            context.EnvironmentVariables["OTEL_TRACES_SAMPLER_ARG"] = ratio.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// A probe at the worker's own port. Aspire's orchestrator proxies the published port; measuring behind that proxy
    /// would charge the worker for it, while the bare-Kestrel baseline has none.
    /// </summary>
    public Uri Probe(string path)
    {
        var urls = ProcessTree.Environment(WorkerProcessId())["ASPNETCORE_URLS"];
        return new Uri(new Uri(urls.Split(';')[0]), path);
    }

    /// <summary>The worker's probes through the orchestrator's proxy, whose port stays the same when the worker restarts.</summary>
    public Uri ProxiedProbe(string path) => new(App.GetEndpoint("worker", "probes"), path);

    /// <summary>Stops the worker, runs <paramref name="whileStopped"/> (queueing messages), starts it, and waits until it is healthy.</summary>
    public async Task WhileWorkerStoppedAsync(Func<Task> whileStopped)
    {
        await ExecuteCommandAsync("worker", "resource-stop");
        await whileStopped();
        await ExecuteCommandAsync("worker", "resource-start");
        await WaitForHealthyAsync("worker");
    }
}
