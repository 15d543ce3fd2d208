using System.Globalization;
using System.Text.Json.Nodes;
using ServiceDefaults.Probes;
using Worker.Tests.Support;

namespace Worker.Tests.Deployment;

/// <summary>
/// The worker's image as `dotnet publish Worker -t:PublishContainer` built it (eng/worker-image.sh), read from the
/// engine: what Worker.csproj asks of it. <see cref="ComposeRunTests"/> runs it.
/// </summary>
public sealed class WorkerImageTests
{
    private static readonly Lazy<Task<JsonNode>> Config = new(async () =>
    {
        await Docker.RequireAsync(StandInImages.Worker);
        return JsonNode.Parse(await Docker.RunAsync("image", "inspect", "--format", "{{json .Config}}", StandInImages.Worker))!;
    });

    [Fact]
    public async Task The_image_runs_the_worker_as_the_non_root_app_user()
    {
        var config = await Config.Value;

        Assert.Equal("app", config["User"]!.GetValue<string>());
        Assert.Contains("/app/Worker.dll", config["Entrypoint"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task The_image_exposes_8000_and_serves_the_probes_there_whatever_ASPNETCORE_URLS_says()
    {
        var config = await Config.Value;
        var port = ProbeDefaults.Port.ToString(CultureInfo.InvariantCulture);

        Assert.Contains($"{port}/tcp", config["ExposedPorts"]!.AsObject().Select(p => p.Key));
        Assert.Contains($"Kestrel__Endpoints__probes__Url=http://+:{port}", config["Env"]!.AsArray().Select(e => e!.GetValue<string>()));
    }

    [Fact]
    public async Task The_image_holds_the_health_command_that_Compose_runs()
    {
        await Config.Value;

        // Nothing listens in this container: the command says so and exits 1, as a probe that fails must.
        var result = await ProcessRunner.RunAsync("docker",
            ["run", "--rm", "--read-only", "--tmpfs", "/tmp", "--entrypoint", "/app/Worker", StandInImages.Worker, "healthcheck", "ready"], TimeSpan.FromMinutes(1));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("could not be reached", result.StandardError, StringComparison.Ordinal);
    }
}
