using Worker.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Worker.Tests.Deployment;

/// <summary>deploy/compose over what aspirate 9.1 writes with --output-format compose, validated and merged by docker-compose.</summary>
public sealed class ComposeOverrideTests
{
    private static readonly Lazy<Task<YamlMappingNode>> Merged = new(MergeAsync);

    [Theory]
    [InlineData("worker", "/app/Worker healthcheck ready")]
    [InlineData("postgres", "pg_isready -U postgres")]
    [InlineData("redis", "ping")]
    [InlineData("rabbitmq", "rabbitmq-diagnostics -q ping")]
    public async Task Each_service_has_a_health_check_that_needs_no_curl(string service, string command)
    {
        var test = (YamlSequenceNode)Service(await Merged.Value, service)["healthcheck"]["test"];
        var words = string.Join(' ', test.Children.Skip(1).Select(c => c.ToString()));

        Assert.Contains(command, words, StringComparison.Ordinal);
        Assert.DoesNotContain("curl", words, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_starts_only_once_its_three_dependencies_are_healthy()
    {
        var dependsOn = (YamlMappingNode)Service(await Merged.Value, "worker")["depends_on"];

        Assert.Equal(["postgres", "rabbitmq", "redis"], dependsOn.Children.Keys.Select(k => k.ToString()).Order());
        Assert.All(dependsOn.Children.Values, d => Assert.Equal("service_healthy", d["condition"].ToString()));
    }

    [Fact]
    public async Task Redis_runs_its_server_through_the_shell_with_the_password_left_to_the_container()
    {
        var redis = Service(await Merged.Value, "redis");

        Assert.Equal(["/bin/sh"], ((YamlSequenceNode)redis["entrypoint"]).Children.Select(c => c.ToString()));
        var command = ((YamlSequenceNode)redis["command"]).Children.Select(c => c.ToString()).ToList();
        Assert.Equal("-c", command[0]);
        // Compose prints the escape it keeps: the container's shell gets $REDIS_PASSWORD, not an empty interpolation.
        Assert.Equal("redis-server --requirepass \"$$REDIS_PASSWORD\"", command[1]);
        Assert.Equal(2, command.Count);
    }

    [Fact]
    public async Task The_workers_probes_are_published_on_8000()
    {
        var ports = (YamlSequenceNode)Service(await Merged.Value, "worker")["ports"];

        Assert.Contains(ports.Children.Cast<YamlMappingNode>(), p => p["published"].ToString() == "8000" && p["target"].ToString() == "8000");
    }

    private static YamlMappingNode Service(YamlMappingNode compose, string name) => (YamlMappingNode)compose["services"][name];

    private static async Task<YamlMappingNode> MergeAsync()
    {
        string[] files =
        [
            "-f", Path.Combine(AppContext.BaseDirectory, "Deployment", "Aspirate91", "compose", "docker-compose.yaml"),
            "-f", Path.Combine(RepositoryPaths.Root, "deploy", "compose", "docker-compose.override.yml"),
        ];
        var validate = await ProcessRunner.RunAsync("docker-compose", [.. files, "config", "-q"], TimeSpan.FromSeconds(60));
        Assert.True(validate.ExitCode == 0, $"docker-compose config -q failed: {validate.Output}");

        var merged = await ProcessRunner.RunAsync("docker-compose", [.. files, "config"], TimeSpan.FromSeconds(60));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(merged.StandardOutput));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
