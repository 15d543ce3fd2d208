using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Npgsql;
using RabbitMQ.Client;
using Worker.Clients;
using Worker.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Worker.Tests.Deployment;

/// <summary>
/// deploy/kubernetes/components/managed-backends rendered with the overlay and the scale-out component: the worker
/// against a RabbitMQ Cluster Operator's cluster and a PostgreSQL primary with a standby, both outside the overlay.
/// </summary>
public sealed class ManagedBackendsComponentTests
{
    private static readonly Lazy<Task<string>> Yaml = new(async () =>
    {
        var result = await Kustomize.RenderAsync("kubernetes", "scale-out", "managed-backends");
        Assert.True(result.ExitCode == 0, $"kubectl kustomize failed: {result.Output}");
        return result.StandardOutput;
    });

    // Kubernetes' own kinds, read strictly; KEDA's are not in the client's type map.
    private static readonly Lazy<Task<List<object>>> Rendered = new(async () =>
        KubernetesYaml.LoadAllFromString(string.Join("\n---\n", (await Yaml.Value).Split("\n---\n").Where(d => !d.Contains("apiVersion: keda.sh/", StringComparison.Ordinal))), strict: true));

    [Fact]
    public async Task The_overlays_own_broker_and_database_are_gone_and_redis_stays()
    {
        var objects = await Rendered.Value;

        Assert.Empty(objects.OfType<V1StatefulSet>());
        Assert.DoesNotContain(objects.OfType<V1Service>(), s => s.Metadata.Name is "postgres" or "rabbitmq");
        Assert.DoesNotContain(objects.OfType<V1ConfigMap>(), c => c.Metadata.Name is "postgres-env" or "rabbitmq-env");
        Assert.Contains(objects.OfType<V1Deployment>(), d => d.Metadata.Name == "redis");
        Assert.DoesNotContain(Credentials(objects).Keys, key => key is "POSTGRES_PASSWORD" or "RABBITMQ_DEFAULT_PASS");
    }

    [Fact]
    public async Task The_worker_and_the_scalers_trigger_read_the_managed_servers_from_the_overlays_secret()
    {
        var objects = await Rendered.Value;
        var worker = Worker(objects);
        var trigger = await TriggerSecretAsync();

        foreach (var variable in new[] { "ConnectionStrings__rabbitmq", "ConnectionStrings__workerdb", "Messaging__BrokerEndpoints", "ConnectionStrings__redis" })
        {
            var reference = Assert.Single(worker.Env, e => e.Name == variable).ValueFrom.SecretKeyRef;
            Assert.Equal(("backing-service-credentials", variable), (reference.Name, reference.Key));
        }

        Assert.Equal(("backing-service-credentials", "ConnectionStrings__rabbitmq"), (trigger.Secret, trigger.Key));
        // The component's values, not the overlay's: its patch comes after the overlay's replacements.
        var component = KubernetesYaml.Deserialize<V1Secret>(
            await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes", "components", "managed-backends", "connections.yaml")));
        foreach (var key in new[] { "ConnectionStrings__rabbitmq", "ConnectionStrings__workerdb", "Messaging__BrokerEndpoints" })
        {
            Assert.Equal(component.StringData[key], Credentials(objects)[key]);
        }
    }

    [Fact]
    public async Task The_connection_strings_name_several_hosts_in_the_form_the_worker_accepts()
    {
        var secret = Credentials(await Rendered.Value);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            secret.Where(entry => entry.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || entry.Key == "Messaging__BrokerEndpoints")
                .Select(entry => KeyValuePair.Create(entry.Key.Replace("__", ":", StringComparison.Ordinal), (string?)entry.Value))).Build();

        // What the worker checks at start: it would stop, naming the key, on a malformed one.
        ConnectionStringValidation.Require(configuration);
        Assert.Equal(3, BrokerEndpoints.Read(configuration).Count);
        Assert.Equal("rabbitmq", new ConnectionFactory { Uri = new Uri(secret["ConnectionStrings__rabbitmq"]) }.HostName);
        var database = new NpgsqlConnectionStringBuilder(secret["ConnectionStrings__workerdb"]);
        Assert.Equal(2, database.Host!.Split(',').Length);
        Assert.Equal("primary", database.TargetSessionAttributes);
        // Several hosts make a multi-host data source, which picks the primary among them at each open.
        await using var dataSource = new NpgsqlDataSourceBuilder(secret["ConnectionStrings__workerdb"]).Build();
        Assert.IsType<NpgsqlMultiHostDataSource>(dataSource);
    }

    [Fact]
    public async Task The_workers_probes_image_and_resources_are_the_overlays_own()
    {
        var managed = Worker(await Rendered.Value);
        var plain = KubernetesOverlayTests.Container(await KubernetesOverlayTests.WorkerAsync());

        Assert.Equal(KubernetesJson.Serialize(plain.StartupProbe), KubernetesJson.Serialize(managed.StartupProbe));
        Assert.Equal(KubernetesJson.Serialize(plain.LivenessProbe), KubernetesJson.Serialize(managed.LivenessProbe));
        Assert.Equal(KubernetesJson.Serialize(plain.ReadinessProbe), KubernetesJson.Serialize(managed.ReadinessProbe));
        Assert.Equal(KubernetesJson.Serialize(plain.Resources), KubernetesJson.Serialize(managed.Resources));
        Assert.Equal(plain.Image, managed.Image);
    }

    /// <summary>The Secret and key the KEDA trigger reads the broker's address from.</summary>
    private static async Task<(string Secret, string Key)> TriggerSecretAsync()
    {
        var documents = new YamlStream();
        documents.Load(new StringReader(await Yaml.Value));
        var reference = (YamlMappingNode)documents.Documents.Select(d => (YamlMappingNode)d.RootNode)
            .Single(d => d["kind"].ToString() == "TriggerAuthentication")["spec"]["secretTargetRef"][0];
        return (reference["name"].ToString(), reference["key"].ToString());
    }

    private static IDictionary<string, string> Credentials(List<object> objects) =>
        objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "backing-service-credentials").StringData;

    private static V1Container Worker(List<object> objects) =>
        KubernetesOverlayTests.Container(objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "worker"));
}
