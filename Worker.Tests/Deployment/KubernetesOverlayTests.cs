using k8s;
using k8s.Models;
using Worker.Tests.Support;

namespace Worker.Tests.Deployment;

/// <summary>deploy/kubernetes rendered by <c>kubectl kustomize</c> over a base shaped like aspirate's output, read strictly.</summary>
public sealed class KubernetesOverlayTests
{
    private static readonly string[] Passwords = ["fixture-rabbitmq-password", "fixture-redis-password", "fixture-postgres-password"];
    private static readonly Lazy<Task<List<object>>> Rendered = new(RenderAsync);

    [Fact]
    public async Task The_worker_probes_alive_and_ready_on_port_8000_with_the_chosen_timing()
    {
        var worker = Container(await WorkerAsync());

        AssertProbe(worker.StartupProbe, "/internal/alive", period: 2, failures: 30);
        AssertProbe(worker.LivenessProbe, "/internal/alive", period: 10, failures: 3);
        AssertProbe(worker.ReadinessProbe, "/internal/ready", period: 5, failures: 2);
        Assert.Contains(worker.Ports, p => p.ContainerPort == 8000);
    }

    [Fact]
    public async Task The_grace_period_covers_the_pre_stop_sleep_and_the_worker_shutdown_budget()
    {
        var deployment = await WorkerAsync();
        var worker = Container(deployment);

        Assert.Equal(5, worker.Lifecycle.PreStop.Sleep.Seconds);
        Assert.Equal(40, deployment.Spec.Template.Spec.TerminationGracePeriodSeconds);
        Assert.True(5 + 30 < deployment.Spec.Template.Spec.TerminationGracePeriodSeconds, "preStop + shutdown timeout must fit the grace period.");
    }

    [Fact]
    public async Task The_worker_has_resource_requests_and_limits()
    {
        var resources = Container(await WorkerAsync()).Resources;

        Assert.Equal(["cpu", "memory"], resources.Requests.Keys.Order());
        Assert.Equal(["cpu", "memory"], resources.Limits.Keys.Order());
        Assert.Equal("384Mi", resources.Limits["memory"].ToString());
    }

    [Fact]
    public async Task The_worker_samples_its_traces_and_still_reads_aspirates_settings()
    {
        var worker = Container(await WorkerAsync());

        var env = worker.Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("parentbased_traceidratio", env["OTEL_TRACES_SAMPLER"]);
        Assert.InRange(double.Parse(env["OTEL_TRACES_SAMPLER_ARG"], System.Globalization.CultureInfo.InvariantCulture), 0.0001, 1);
        Assert.Contains(worker.EnvFrom, source => source.ConfigMapRef?.Name == "worker-env");
    }

    [Fact]
    public async Task Every_password_is_in_a_secret_and_none_is_in_a_config_map()
    {
        var objects = await Rendered.Value;
        var configValues = objects.OfType<V1ConfigMap>().SelectMany(c => c.Data?.Values ?? []).ToList();
        var secretValues = objects.OfType<V1Secret>()
            .SelectMany(s => (s.StringData?.Values ?? []).Concat((s.Data?.Values ?? []).Select(System.Text.Encoding.UTF8.GetString))).ToList();

        Assert.All(Passwords, password =>
        {
            Assert.DoesNotContain(configValues, value => value.Contains(password, StringComparison.Ordinal));
            Assert.Contains(secretValues, value => value.Contains(password, StringComparison.Ordinal));
        });
    }

    [Theory]
    [InlineData("rabbitmq", "RABBITMQ_DEFAULT_PASS")]
    [InlineData("redis", "REDIS_PASSWORD")]
    public async Task RabbitMQ_and_Redis_read_their_password_from_the_secret(string name, string variable)
    {
        var deployment = (await Rendered.Value).OfType<V1Deployment>().Single(d => d.Metadata.Name == name);

        var env = Assert.Single(Container(deployment, name).Env, e => e.Name == variable);
        Assert.Equal("backing-service-passwords", env.ValueFrom.SecretKeyRef.Name);
    }

    private static void AssertProbe(V1Probe probe, string path, int period, int failures)
    {
        Assert.Equal(path, probe.HttpGet.Path);
        Assert.Equal("8000", probe.HttpGet.Port.Value);
        Assert.Equal(period, probe.PeriodSeconds);
        Assert.Equal(1, probe.TimeoutSeconds);
        Assert.Equal(failures, probe.FailureThreshold);
    }

    private static async Task<V1Deployment> WorkerAsync() =>
        (await Rendered.Value).OfType<V1Deployment>().Single(d => d.Metadata.Name == "worker");

    private static V1Container Container(V1Deployment deployment, string name = "worker") =>
        deployment.Spec.Template.Spec.Containers.Single(c => c.Name == name);

    // deploy/kubernetes points at ../aspirate-output, where aspirate writes; the fixture stands in for it.
    private static async Task<List<object>> RenderAsync()
    {
        var root = Directory.CreateTempSubdirectory("overlay-");
        try
        {
            CopyDirectory(Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes"), Path.Combine(root.FullName, "deploy", "kubernetes"));
            CopyDirectory(Path.Combine(AppContext.BaseDirectory, "Deployment", "AspirateOutput", "kubernetes"), Path.Combine(root.FullName, "deploy", "aspirate-output"));
            var result = await ProcessRunner.RunAsync("kubectl", ["kustomize", Path.Combine(root.FullName, "deploy", "kubernetes")], TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0, $"kubectl kustomize failed: {result.Output}");
            return KubernetesYaml.LoadAllFromString(result.StandardOutput, strict: true);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
