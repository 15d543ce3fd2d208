using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Worker.Tests.Support;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Worker.Tests.Deployment;

/// <summary>
/// The page's Compose part, run for real on the tests' engine: aspirate 9.1's Compose output (the fixture),
/// deploy/compose's override, and a test-only override that names the stand-in images (Compose/docker-compose.test.yml),
/// with the worker's own image. Compose 1.29 adds an override's ports to the file's rather than replacing them, so the
/// merged file's host ports are swapped for free ones here; nothing else is changed.
/// </summary>
public sealed class ComposeRunTests(ITestOutputHelper output)
{
    private const string Project = "worker-compose-test";
    private static readonly string[] Dependencies = ["postgres", "rabbitmq", "redis"];
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(3);

    // The worker's health check in deploy/compose: every 10 s, 3 s each, 3 failures in a row to turn unhealthy.
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);
    private const int Retries = 3;

    [Fact]
    public async Task The_stack_starts_in_health_order_reads_unhealthy_while_postgres_is_paused_recovers_and_down_leaves_nothing()
    {
        await Docker.RequireAsync([.. StandInImages.All, StandInImages.Worker]);
        var (file, probePort) = await MergedWithFreePortsAsync();
        var started = DateTimeOffset.UtcNow;
        try
        {
            await ComposeAsync(file, "up", "-d");
            await WaitForHealthAsync("worker", "healthy", Step);
            output.WriteLine($"up -d to a healthy worker: {(DateTimeOffset.UtcNow - started).TotalSeconds:F0} s");

            // depends_on: service_healthy held: the worker started only after each dependency's first healthy report.
            var events = await EventsSinceAsync(started);
            var workerStart = events.Single(e => e.Name == "worker" && e.Action == "start").Time;
            foreach (var dependency in Dependencies)
            {
                var healthy = events.First(e => e.Name == dependency && e.Action == "health_status: healthy").Time;
                Assert.True(healthy < workerStart, $"The worker started at {workerStart:O}, before {dependency} was healthy at {healthy:O}.");
            }

            // The image as deploy/kubernetes runs it: user app, a read-only root with a /tmp tmpfs, the probes on 8000.
            Assert.Equal("app", await Docker.RunAsync("inspect", "--format", "{{.Config.User}}", "worker"));
            Assert.Equal("1654", await Docker.RunAsync("exec", "worker", "id", "-u"));
            Assert.Equal("true", await Docker.RunAsync("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", "worker"));
            Assert.Contains("/tmp", await Docker.RunAsync("inspect", "--format", "{{json .HostConfig.Tmpfs}}", "worker"), StringComparison.Ordinal);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync($"http://127.0.0.1:{probePort}/internal/ready")).StatusCode);

            await Docker.RunAsync("pause", "postgres");
            var paused = Stopwatch.StartNew();
            try
            {
                // Readiness turns 500 within seconds; Docker then needs Retries failed checks in a row, one per
                // interval, the first up to an interval after the pause.
                var bound = (Interval * (Retries + 1)) + CheckTimeout + TimeSpan.FromSeconds(5);
                await WaitForHealthAsync("worker", "unhealthy", bound);
                output.WriteLine($"postgres paused to an unhealthy worker: {paused.Elapsed.TotalSeconds:F0} s (bound {bound.TotalSeconds:F0} s)");
            }
            finally
            {
                await Docker.RunAsync("unpause", "postgres");
            }

            var unpaused = Stopwatch.StartNew();
            await WaitForHealthAsync("worker", "healthy", Interval * Retries * 2);
            output.WriteLine($"postgres unpaused to a healthy worker: {unpaused.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            await ComposeAsync(file, "down", "-v", "--timeout", "40");
        }

        var left = await Docker.RunAsync("ps", "-a", "-q", "--filter", $"label=com.docker.compose.project={Project}");
        left += await Docker.RunAsync("network", "ls", "-q", "--filter", $"label=com.docker.compose.project={Project}");
        left += await Docker.RunAsync("volume", "ls", "-q", "--filter", $"label=com.docker.compose.project={Project}");
        Assert.True(left.Length == 0, $"docker-compose down -v left: {left}");
    }

    private static string[] Files =>
    [
        "-f", Path.Combine(AppContext.BaseDirectory, "Deployment", "Aspirate91", "compose", "docker-compose.yaml"),
        "-f", Path.Combine(RepositoryPaths.Root, "deploy", "compose", "docker-compose.override.yml"),
        "-f", Path.Combine(AppContext.BaseDirectory, "Deployment", "Compose", "docker-compose.test.yml"),
    ];

    // The three files merged by docker-compose itself, each published port moved to a free one; returns the file and
    // the host port of the worker's probes.
    private static async Task<(string File, int ProbePort)> MergedWithFreePortsAsync()
    {
        var merged = await ProcessRunner.RunAsync("docker-compose", [.. Files, "config"], TimeSpan.FromMinutes(1));
        Assert.True(merged.ExitCode == 0, $"docker-compose config failed: {merged.Output}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(merged.StandardOutput));
        var services = (YamlMappingNode)yaml.Documents[0].RootNode["services"];
        // The test-only override names the images eng/images/build.sh made from the manifest's: it is in step with them.
        Assert.Equal(StandInImages.All, Dependencies.Select(name => services[name]["image"].ToString()).Order(StringComparer.Ordinal));
        var probePort = 0;
        foreach (var (name, service) in services.Children)
        {
            if (((YamlMappingNode)service).Children.TryGetValue("ports", out var ports))
            {
                foreach (var port in ((YamlSequenceNode)ports).Children.Cast<YamlMappingNode>())
                {
                    var free = FreePort();
                    if (name.ToString() == "worker" && port["target"].ToString() == "8000" && port["published"].ToString() == "8000")
                    {
                        probePort = free;
                    }

                    port.Children[new YamlScalarNode("published")] = new YamlScalarNode(free.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        Assert.True(probePort != 0, "deploy/compose publishes the worker's probes on 8000 no more.");
        var path = Path.Combine(RepositoryPaths.Root, "TestResults", "compose", "docker-compose.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var writer = new StreamWriter(path))
        {
            yaml.Save(writer, assignAnchors: false);
        }

        return (path, probePort);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task ComposeAsync(string file, params string[] args)
    {
        var result = await ProcessRunner.RunAsync("docker-compose", ["-p", Project, "-f", file, .. args], Step);
        Assert.True(result.ExitCode == 0, $"docker-compose {string.Join(' ', args)} failed: {result.Output}");
    }

    private static async Task WaitForHealthAsync(string container, string status, TimeSpan within)
    {
        var last = "";
        for (var deadline = DateTime.UtcNow + within; DateTime.UtcNow < deadline; await Task.Delay(1000))
        {
            if ((last = await Docker.RunAsync("inspect", "--format", "{{.State.Health.Status}}", container)) == status)
            {
                return;
            }
        }

        var log = await Docker.RunAsync("inspect", "--format", "{{json .State.Health.Log}}", container);
        Assert.Fail($"{container} was {last}, not {status}, for {within.TotalSeconds} s. Its last checks: {log}");
    }

    private sealed record Event(DateTimeOffset Time, string Name, string Action);

    private static async Task<List<Event>> EventsSinceAsync(DateTimeOffset since)
    {
        var lines = await Docker.RunAsync("events", "--since", since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            "--until", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            "--filter", $"label=com.docker.compose.project={Project}", "--filter", "type=container",
            "--format", "{{.TimeNano}}\t{{.Actor.Attributes.name}}\t{{.Action}}");
        return [.. lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).Select(f =>
            new Event(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[0], CultureInfo.InvariantCulture) / 1_000_000), f[1], f[2]))];
    }
}
