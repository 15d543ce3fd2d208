using System.Text.Json.Nodes;
using Worker.Tests.Support;

namespace Worker.Tests.Deployment;

/// <summary>
/// The container image settings in Worker.csproj, as MSBuild evaluates them. (Building the image itself needs a base
/// image from a registry, which this machine cannot reach; see README.)
/// </summary>
public sealed class ContainerImageTests
{
    private static readonly Lazy<Task<JsonNode>> Evaluated = new(EvaluateAsync);

    [Fact]
    public async Task The_image_is_named_worker_and_runs_as_the_non_root_app_user()
    {
        var properties = (await Evaluated.Value)["Properties"]!;

        Assert.Equal("worker", properties["ContainerRepository"]!.GetValue<string>());
        Assert.Equal("app", properties["ContainerUser"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_image_exposes_8000_and_serves_the_probes_there_whatever_ASPNETCORE_URLS_says()
    {
        var items = (await Evaluated.Value)["Items"]!;

        var port = Assert.Single(items["ContainerPort"]!.AsArray());
        Assert.Equal(ServiceDefaults.Probes.ProbeDefaults.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), port!["Identity"]!.GetValue<string>());
        var kestrel = Assert.Single(items["ContainerEnvironmentVariable"]!.AsArray(), v => v!["Identity"]!.GetValue<string>() == "Kestrel__Endpoints__probes__Url");
        Assert.Equal("http://+:8000", kestrel!["Value"]!.GetValue<string>());
    }

    private static async Task<JsonNode> EvaluateAsync()
    {
        var result = await ProcessRunner.RunAsync("dotnet",
            ["msbuild", Path.Combine(RepositoryPaths.Root, "Worker", "Worker.csproj"),
             "-getProperty:ContainerRepository", "-getProperty:ContainerUser", "-getItem:ContainerPort", "-getItem:ContainerEnvironmentVariable"],
            TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
        return JsonNode.Parse(result.StandardOutput)!;
    }
}
