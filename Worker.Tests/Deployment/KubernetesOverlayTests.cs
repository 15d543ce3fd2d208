using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Worker.Messaging;

namespace Worker.Tests.Deployment;

/// <summary>deploy/kubernetes rendered over what aspirate 9.1 writes with --disable-secrets, read strictly.</summary>
public sealed class KubernetesOverlayTests
{
    // The fixture's generated passwords, '!' included, as aspirate generates them.
    private static readonly string[] Passwords = ["Pg7!xK2mQ9rTzL4vN8wB3sHj", "Rb5!nV8cX2qW7eR4tY1uI6oP", "Rd3!mK9jH6gF2dS5aZ8xC1vB"];
    internal static readonly Lazy<Task<List<object>>> Rendered = new(async () =>
    {
        var result = await Kustomize.RenderAsync("kubernetes");
        Assert.True(result.ExitCode == 0, $"kubectl kustomize failed: {result.Output}");
        return KubernetesYaml.LoadAllFromString(result.StandardOutput, strict: true);
    });

    [Fact]
    public async Task The_worker_probes_alive_and_ready_on_its_probes_port_with_the_app_models_timings()
    {
        var worker = Container(await WorkerAsync());
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--BackingServices:Mode=containers"], cancellation.Token);
        var model = builder.Resources.Single(r => r.Name == "worker").Annotations.OfType<EndpointProbeAnnotation>().ToDictionary(p => p.Type);

        Assert.Equal(3, model.Count);
        AssertSame(model[ProbeType.Startup], worker.StartupProbe);
        AssertSame(model[ProbeType.Liveness], worker.LivenessProbe);
        AssertSame(model[ProbeType.Readiness], worker.ReadinessProbe);
        Assert.Contains(worker.Ports, p => p.Name == "probes" && p.ContainerPort == 8000);
    }

    [Fact]
    public async Task The_grace_period_covers_the_pre_stop_sleep_and_the_hosts_shutdown_timeout_which_covers_the_drain()
    {
        var deployment = await WorkerAsync();
        var preStop = Container(deployment).Lifecycle.PreStop.Sleep.Seconds;
        var shutdown = new HostOptions().ShutdownTimeout.TotalSeconds;
        var drain = new MessagingOptions().DrainTimeout.TotalSeconds;

        Assert.True(drain < shutdown, $"The drain ({drain} s) must end within the host's shutdown timeout ({shutdown} s).");
        Assert.True(preStop + shutdown < deployment.Spec.Template.Spec.TerminationGracePeriodSeconds,
            $"preStop {preStop} s + shutdown {shutdown} s must fit the grace period {deployment.Spec.Template.Spec.TerminationGracePeriodSeconds} s.");
    }

    [Fact]
    public async Task The_worker_rolls_out_one_at_a_time_instead_of_aspirates_recreate()
    {
        var deployment = await WorkerAsync();

        Assert.Equal("RollingUpdate", deployment.Spec.Strategy.Type);
        Assert.Equal("0", deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.True(deployment.Spec.MinReadySeconds < 60);
        Assert.Equal("Recreate", (await Rendered.Value).OfType<V1Deployment>().Single(d => d.Metadata.Name == "redis").Spec.Strategy.Type);
    }

    [Theory]
    [InlineData("postgres", "/var/lib/postgresql")]
    [InlineData("rabbitmq", "/var/lib/rabbitmq")]
    public async Task Postgres_and_rabbitmq_keep_their_data_on_a_claim_that_follows_their_pod(string name, string dataDirectory)
    {
        var objects = await Rendered.Value;
        Assert.DoesNotContain(objects.OfType<V1Deployment>(), d => d.Metadata.Name == name);
        var set = Assert.Single(objects.OfType<V1StatefulSet>(), s => s.Metadata.Name == name);

        // One pod, always <name>-0: RabbitMQ keeps its queues under rabbit@<hostname>, which a Deployment's pod changes.
        Assert.Equal(1, set.Spec.Replicas);
        var claim = Assert.Single(set.Spec.VolumeClaimTemplates);
        Assert.Equal(["ReadWriteOnce"], claim.Spec.AccessModes);
        var container = Assert.Single(set.Spec.Template.Spec.Containers);
        Assert.Equal(dataDirectory, Assert.Single(container.VolumeMounts, m => m.Name == claim.Metadata.Name).MountPath);
        // Without OnRootMismatch every mount adds group rw to each file, and Erlang then refuses its cookie.
        Assert.Equal("OnRootMismatch", set.Spec.Template.Spec.SecurityContext.FsGroupChangePolicy);
        // The Service aspirate wrote still reaches it, and governs its name.
        var service = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == name);
        Assert.Equal(name, set.Spec.ServiceName);
        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, set.Spec.Template.Metadata.Labels[label.Key]));
        Assert.Equal(set.Spec.Selector.MatchLabels, set.Spec.Template.Metadata.Labels);
        // The image is the one the app model publishes.
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Support.RepositoryPaths.Root, "aspire-manifest.json")))!;
        Assert.Equal(manifest["resources"]![name]!["image"]!.GetValue<string>(), container.Image);
    }

    [Fact]
    public async Task The_worker_runs_restricted_with_a_writable_tmp_only()
    {
        var deployment = await WorkerAsync();
        var worker = Container(deployment);

        Assert.True(deployment.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", deployment.Spec.Template.Spec.SecurityContext.SeccompProfile.Type);
        Assert.False(worker.SecurityContext.AllowPrivilegeEscalation);
        Assert.True(worker.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], worker.SecurityContext.Capabilities.Drop);
        var mount = Assert.Single(worker.VolumeMounts);
        Assert.Equal("/tmp", mount.MountPath);
        Assert.NotNull(deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == mount.Name).EmptyDir);
    }

    [Fact]
    public async Task The_worker_has_resource_requests_and_limits()
    {
        var resources = Container(await WorkerAsync()).Resources;

        Assert.Equal(["cpu", "memory"], resources.Requests.Keys.Order());
        Assert.Equal("384Mi", resources.Limits["memory"].ToString());
    }

    [Fact]
    public async Task The_worker_samples_one_percent_of_its_traces_and_still_reads_aspirates_settings()
    {
        var worker = Container(await WorkerAsync());

        var env = worker.Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("parentbased_traceidratio", env["OTEL_TRACES_SAMPLER"]);
        Assert.Equal("0.01", env["OTEL_TRACES_SAMPLER_ARG"]);
        Assert.Contains(worker.EnvFrom, source => source.ConfigMapRef?.Name == "worker-env");
    }

    [Fact]
    public async Task Every_password_is_in_the_secret_and_none_is_in_a_config_map()
    {
        var objects = await Rendered.Value;
        var configValues = objects.OfType<V1ConfigMap>().SelectMany(c => c.Data?.Values ?? []).ToList();
        var secret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "backing-service-credentials").StringData;

        Assert.All(Passwords, password =>
        {
            Assert.DoesNotContain(configValues, value => value.Contains(password, StringComparison.Ordinal));
            Assert.Contains(secret.Values, value => value.Contains(password, StringComparison.Ordinal));
        });
        Assert.DoesNotContain(secret.Values, value => value.Contains("replaced-by-kustomize", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("postgres", "POSTGRES_PASSWORD")]
    [InlineData("rabbitmq", "RABBITMQ_DEFAULT_PASS")]
    [InlineData("redis", "REDIS_PASSWORD")]
    [InlineData("worker", "ConnectionStrings__rabbitmq")]
    [InlineData("worker", "ConnectionStrings__redis")]
    [InlineData("worker", "ConnectionStrings__workerdb")]
    public async Task Each_container_reads_its_secrets_from_the_secret(string name, string variable)
    {
        var env = Assert.Single(ContainerOf(await Rendered.Value, name).Env, e => e.Name == variable);
        Assert.Equal("backing-service-credentials", env.ValueFrom.SecretKeyRef.Name);
        Assert.Equal(variable, env.ValueFrom.SecretKeyRef.Key);
    }

    [Fact]
    public async Task The_workers_broker_user_is_the_one_aspirate_generated_for_the_broker()
    {
        var objects = await Rendered.Value;
        var user = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "rabbitmq-env").Data["RABBITMQ_DEFAULT_USER"];
        var connection = new Uri(objects.OfType<V1Secret>().Single().StringData["ConnectionStrings__rabbitmq"]);

        Assert.Equal(user, connection.UserInfo.Split(':')[0]);
    }

    [Fact]
    public async Task Postgres_creates_the_database_the_workers_connection_string_names_on_its_first_start()
    {
        var objects = await Rendered.Value;
        var postgres = ContainerOf(objects, "postgres");
        var database = new Npgsql.NpgsqlConnectionStringBuilder(objects.OfType<V1Secret>().Single().StringData["ConnectionStrings__workerdb"]).Database;

        // Outside the AppHost nothing else creates it: the official image does, from POSTGRES_DB.
        Assert.Equal(database, Assert.Single(postgres.Env, e => e.Name == "POSTGRES_DB").Value);
    }

    [Fact]
    public async Task Aspirates_output_with_secrets_on_cannot_be_rendered_as_the_readme_says()
    {
        var result = await Kustomize.RenderAsync("kubernetes-secrets");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("env source files: [.postgres.secrets]", result.Output, StringComparison.Ordinal);
    }

    private static void AssertSame(EndpointProbeAnnotation model, V1Probe probe)
    {
        Assert.Equal(model.Path, probe.HttpGet.Path);
        Assert.Equal(model.EndpointReference.EndpointName, probe.HttpGet.Port.Value);
        Assert.Equal(model.PeriodSeconds, probe.PeriodSeconds);
        Assert.Equal(model.TimeoutSeconds, probe.TimeoutSeconds);
        Assert.Equal(model.FailureThreshold, probe.FailureThreshold);
    }

    internal static async Task<V1Deployment> WorkerAsync() =>
        (await Rendered.Value).OfType<V1Deployment>().Single(d => d.Metadata.Name == "worker");

    /// <summary>The container of that name, whether a Deployment or a StatefulSet runs it.</summary>
    private static V1Container ContainerOf(List<object> objects, string name) =>
        objects.OfType<V1Deployment>().Select(d => d.Spec.Template).Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template))
            .SelectMany(t => t.Spec.Containers).Single(c => c.Name == name);

    internal static V1Container Container(V1Deployment deployment, string name = "worker") =>
        deployment.Spec.Template.Spec.Containers.Single(c => c.Name == name);
}
