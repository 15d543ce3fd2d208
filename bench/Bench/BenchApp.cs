using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bench;

/// <summary>The whole system (three servers and the worker), started the way the integration tests start it.</summary>
public sealed class BenchApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private BenchApp(DistributedApplication app) => App = app;

    public DistributedApplication App { get; }

    public static async Task<BenchApp> StartAsync()
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--BackingServices:Mode=auto"], cancellation.Token);
        var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("worker", cancellation.Token);
        return new BenchApp(app);
    }

    /// <summary>
    /// A probe at the worker's own port. Aspire's orchestrator proxies the published port; measuring behind that proxy
    /// would charge the worker for it, while the bare-Kestrel baseline has none.
    /// </summary>
    public Uri Probe(string path)
    {
        var environment = File.ReadAllText($"/proc/{WorkerProcessId()}/environ").Split('\0');
        var urls = environment.First(v => v.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal))["ASPNETCORE_URLS=".Length..];
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

    /// <summary>The worker's own process: Aspire reports the pid of `dotnet run`, whose child it is.</summary>
    public int WorkerProcessId()
    {
        App.ResourceNotifications.TryGetCurrentState("worker", out var state);
        var parent = Convert.ToInt32(state!.Snapshot.Properties.First(p => p.Name.EndsWith(".pid", StringComparison.Ordinal)).Value,
            System.Globalization.CultureInfo.InvariantCulture);
        return ProcessTree.Descendants(parent).FirstOrDefault(pid => ProcessTree.Name(pid) == "Worker", parent);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await App.DisposeAsync();
    }
}

public static class ProcessTree
{
    public static IEnumerable<int> Descendants(int pid)
    {
        var children = Directory.GetDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(child => ParentOf(child) == pid)
            .ToList();
        return children.Concat(children.SelectMany(Descendants));
    }

    public static string Name(int pid) => Read($"/proc/{pid}/comm")?.Trim() ?? "";

    /// <summary>Peak resident memory (VmHWM) in MB.</summary>
    public static double PeakRssMb(int pid) =>
        Read($"/proc/{pid}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
            ? double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024
            : double.NaN;

    private static int ParentOf(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        return stat is null ? -1 : int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
