using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Harness;

namespace Bench.Comparison;

/// <summary>
/// A peer worker of bench/Peers, run as a process of its own with the servers' connection strings. It ends with the
/// bench: it stops when its standard input closes (see PeerCommon's ParentWatch), and disposing kills what is left.
/// </summary>
public sealed class PeerContender : Contender
{
    private const int PoolSize = 20;
    private static readonly TimeSpan StartWithin = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(45);
    private readonly string _project;
    private readonly string _short;
    private readonly Broker _broker;
    private readonly IReadOnlyDictionary<string, string> _connectionStrings;
    private readonly (string Ready, string Alive)? _probes;
    private readonly Func<string, string?> _errorQueue;
    private readonly Dictionary<string, string> _environment;
    private Process? _process;
    private string? _queueType;
    private int _port;

    /// <param name="project">The peer's project under bench/Peers.</param>
    /// <param name="shortName">Names its queues and table.</param>
    /// <param name="probes">Its readiness and liveness paths; null for one without probes.</param>
    /// <param name="errorQueue">Where its framework puts what it cannot store, for a work queue of that name.</param>
    public PeerContender(string name, string project, string shortName, Broker broker, IReadOnlyDictionary<string, string> connectionStrings,
        (string Ready, string Alive)? probes, Func<string, string?> errorQueue, Dictionary<string, string>? environment = null)
        : base(name)
    {
        (_project, _short, _broker, _connectionStrings, _probes, _errorQueue) = (project, shortName, broker, connectionStrings, probes, errorQueue);
        _environment = environment ?? [];
    }

    public override string Table => $"peer_{_short}";

    public override string? ErrorQueue => _errorQueue(Queue(_queueType ?? "quorum"));

    public override Uri? Ready => _probes is { } p ? new Uri($"http://127.0.0.1:{_port}{p.Ready}") : null;

    public override Uri? Alive => _probes is { } p ? new Uri($"http://127.0.0.1:{_port}{p.Alive}") : null;

    public override bool IsRunning => _process is { HasExited: false };

    public override int ProcessId => _process?.Id ?? throw new InvalidOperationException($"{Name} is not running.");

    public override string Queue(string queueType) => $"peer-{_short}-{queueType}";

    public override async Task StartAsync(string queueType)
    {
        if (_process is { HasExited: false } && _queueType == queueType)
        {
            return;
        }

        await StopAsync();
        _queueType = queueType;
        _port = FreePort();
        var dll = Path.GetFullPath(Path.Combine("bench", "Peers", _project, "bin", BuildConfiguration, "net10.0", $"{_project}.dll"));
        var log = Path.Combine(Path.GetTempPath(), "bench-peers", $"{_short}.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        // exec: the shell becomes the peer, so the pid is the peer's and its input is the bench's pipe.
        var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet \"{dll}\" >>\"{log}\" 2>&1"]) { RedirectStandardInput = true, UseShellExecute = false };
        start.Environment["ConnectionStrings__rabbitmq"] = _connectionStrings["rabbitmq"];
        // A bounded pool, as a production service sets one: with Npgsql's default of 100 and a consumer per prefetched
        // message (MassTransit's default concurrency), a peer took every connection PostgreSQL has (53300) and retried.
        start.Environment["ConnectionStrings__workerdb"] = $"{_connectionStrings["workerdb"]};Maximum Pool Size={PoolSize}";
        start.Environment["Peer__Queue"] = Queue(queueType);
        start.Environment["Peer__QueueType"] = queueType;
        start.Environment["Peer__Table"] = Table;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_port}";
        // Warnings and errors only, as the worker logs: no peer pays for a log line per message (Npgsql logs every
        // command at Information).
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start.");
        await Within.UntilAsync(IsConsumingAsync, StartWithin, $"{Name} did not start consuming within {StartWithin.TotalSeconds} s (its log: {log})");
    }

    public override async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            await SignalAsync("TERM");
        }
    }

    public override async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        await ProcessTree.SignalAsync(process.Id, signal);
        using var exited = new CancellationTokenSource(ExitWithin);
        try
        {
            await process.WaitForExitAsync(exited.Token);
        }
        catch (OperationCanceledException)
        {
            // A peer that ignores SIGTERM is killed, and its row says the stop took the whole wait.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.StandardInput.Close();
            using var exited = new CancellationTokenSource(ExitWithin);
            try
            {
                await process.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
    }

    private static string BuildConfiguration { get; } =
        typeof(PeerContender).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    private async Task<bool> IsConsumingAsync()
    {
        if (_process!.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting.");
        }

        if (!await _broker.ExistsAsync(Queue(_queueType!)))
        {
            return false;
        }

        if (Ready is not { } ready)
        {
            return true;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            return IsHealthy((int)(await http.GetAsync(ready)).StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
