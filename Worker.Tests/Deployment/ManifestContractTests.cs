using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Worker.Tests.Support;

namespace Worker.Tests.Deployment;

/// <summary>What aspirate 9.1 can read in the committed aspire-manifest.json.</summary>
public sealed partial class ManifestContractTests
{
    private static readonly string[] TypesAspirateReads =
        ["container.v0", "container.v1", "project.v0", "project.v1", "dockerfile.v0", "value.v0", "parameter.v0"];

    private static readonly JsonObject Resources = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Manifest))!["resources"]!.AsObject();

    [Fact]
    public void Every_resource_has_a_type_aspirate_understands()
    {
        Assert.All(Resources, resource => Assert.Contains(resource.Value!["type"]!.GetValue<string>(), TypesAspirateReads));
    }

    [Fact]
    public void Every_placeholder_points_at_a_resource_aspirate_understands()
    {
        var placeholders = Placeholder().Matches(Resources.ToJsonString()).Select(m => m.Groups["resource"].Value).Distinct().ToList();

        Assert.NotEmpty(placeholders);
        Assert.All(placeholders, name => Assert.True(Resources.ContainsKey(name), $"{{{name}.…}} points at no resource."));
    }

    [Fact]
    public void The_worker_gets_only_its_three_connection_strings_and_a_probe_port_of_8000()
    {
        var worker = Resources["worker"]!;
        var env = worker["env"]!.AsObject().Select(e => e.Key).ToList();

        Assert.Equal(["ConnectionStrings__rabbitmq", "ConnectionStrings__redis", "ConnectionStrings__workerdb"],
            env.Where(k => k.Contains("rabbitmq", StringComparison.OrdinalIgnoreCase) || k.Contains("redis", StringComparison.OrdinalIgnoreCase)
                || k.Contains("workerdb", StringComparison.OrdinalIgnoreCase)).Order().ToList());
        Assert.Equal(8000, worker["bindings"]!["probes"]!["targetPort"]!.GetValue<int>());
        Assert.Equal("http://+:8000", worker["env"]!["Kestrel__Endpoints__probes__Url"]!.GetValue<string>());
    }

    [Fact]
    public void No_password_is_a_literal_and_the_pages_credentials_appear_nowhere()
    {
        var text = File.ReadAllText(RepositoryPaths.Manifest);

        Assert.DoesNotContain("guest", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("password@", text, StringComparison.OrdinalIgnoreCase);
        Assert.All(["rabbitmq-password", "redis-password", "postgres-password"], name =>
            Assert.True(Resources[name]!["inputs"]!["value"]!["secret"]!.GetValue<bool>(), $"{name} is not a secret parameter."));
    }

    [GeneratedRegex(@"\{(?<resource>[a-zA-Z0-9-]+)\.(connectionString|value|bindings\.[^}]+|inputs\.[^}]+)\}")]
    private static partial Regex Placeholder();
}
