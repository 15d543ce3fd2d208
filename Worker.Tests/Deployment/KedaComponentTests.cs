using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Worker.Tests.Deployment;

/// <summary>
/// deploy/kubernetes/components/scale-out rendered with the overlay. KEDA's objects are validated against KEDA's own
/// CRD schemas (Deployment/Schemas), made strict the way the API server's field validation is: an unknown field fails.
/// </summary>
public sealed class KedaComponentTests
{
    private static readonly Lazy<Task<List<JsonObject>>> Rendered = new(async () =>
    {
        var result = await Kustomize.RenderAsync("kubernetes", "scale-out");
        Assert.True(result.ExitCode == 0, $"kubectl kustomize failed: {result.Output}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(result.StandardOutput));
        return [.. yaml.Documents.Select(d => (JsonObject)ToJson(d.RootNode)!)];
    });

    [Theory]
    [InlineData("ScaledObject", "keda.sh_scaledobjects.yaml")]
    [InlineData("TriggerAuthentication", "keda.sh_triggerauthentications.yaml")]
    public async Task Kedas_objects_are_valid_by_kedas_own_schema(string kind, string crd)
    {
        var resource = Single(await Rendered.Value, kind);

        var results = Schema(crd).Evaluate(JsonSerializer.SerializeToElement(resource), new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(results.IsValid, string.Join("; ", results.Details?.Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? []));
    }

    [Fact]
    public async Task The_scaled_object_scales_the_worker_on_the_work_queue_from_one_with_credentials_from_the_overlays_secret()
    {
        var objects = await Rendered.Value;
        var scaled = Single(objects, "ScaledObject");
        var trigger = scaled["spec"]!["triggers"]![0]!;
        var secret = Single(objects, "TriggerAuthentication")["spec"]!["secretTargetRef"]![0]!;

        Assert.Equal("worker", scaled["spec"]!["scaleTargetRef"]!["name"]!.GetValue<string>());
        Assert.Equal(1, scaled["spec"]!["minReplicaCount"]!.GetValue<long>());
        Assert.Equal("rabbitmq", trigger["type"]!.GetValue<string>());
        Assert.Equal(new Worker.Messaging.MessagingOptions().Queue, trigger["metadata"]!["queueName"]!.GetValue<string>());
        Assert.Equal("host", secret["parameter"]!.GetValue<string>());
        var credentials = objects.Single(o => o["kind"]!.GetValue<string>() == "Secret")["stringData"]!.AsObject();
        Assert.Equal(secret["name"]!.GetValue<string>(), Single(objects, "Secret")["metadata"]!["name"]!.GetValue<string>());
        Assert.StartsWith("amqp://", credentials[secret["key"]!.GetValue<string>()]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_gets_a_disruption_budget_and_spreads_over_nodes()
    {
        var objects = await Rendered.Value;
        var budget = KubernetesJson.Deserialize<V1PodDisruptionBudget>(Single(objects, "PodDisruptionBudget").ToJsonString());
        var worker = KubernetesJson.Deserialize<V1Deployment>(objects.Single(o => o["kind"]!.GetValue<string>() == "Deployment" && o["metadata"]!["name"]!.GetValue<string>() == "worker").ToJsonString());

        Assert.Equal("worker", budget.Spec.Selector.MatchLabels["app"]);
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
        var spread = Assert.Single(worker.Spec.Template.Spec.TopologySpreadConstraints);
        Assert.Equal("kubernetes.io/hostname", spread.TopologyKey);
        Assert.Equal("worker", spread.LabelSelector.MatchLabels["app"]);
    }

    private static JsonObject Single(List<JsonObject> objects, string kind) => objects.Single(o => o["kind"]!.GetValue<string>() == kind);

    private static JsonSchema Schema(string crd)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Deployment", "Schemas", crd))));
        var definition = (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
        var schema = definition["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();
        Strict(schema);
        return JsonSchema.FromText(schema.ToJsonString());
    }

    // Kubernetes rejects unknown fields of a structural schema unless it says to keep them; JSON Schema allows them.
    // OpenAPI's own keywords (x-kubernetes-*, nullable) mean nothing to a JSON Schema validator and are dropped.
    private static void Strict(JsonNode? node)
    {
        if (node is JsonObject schema)
        {
            if (schema["properties"] is JsonObject && !schema.ContainsKey("additionalProperties") && !schema.ContainsKey("x-kubernetes-preserve-unknown-fields"))
            {
                schema["additionalProperties"] = false;
            }

            foreach (var openApiOnly in schema.Select(p => p.Key).Where(k => k.StartsWith("x-", StringComparison.Ordinal) || k == "nullable").ToList())
            {
                schema.Remove(openApiOnly);
            }

            foreach (var child in schema.Select(p => p.Value).ToList())
            {
                Strict(child);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array)
            {
                Strict(child);
            }
        }
    }

    // YAML to JSON with the types a Kubernetes reader gives plain scalars: numbers, booleans, null.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var value } when value is null or "null" or "~" => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } flag => JsonValue.Create(flag.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } number when long.TryParse(number.Value, out var integer) => JsonValue.Create(integer),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}."),
    };
}
