namespace Worker.Tests.Support;

/// <summary>
/// The docker CLI against the tests' container engine (the DOCKER_HOST that eng/test-engine.sh exports, or the
/// machine's own engine), each call bounded and failing with docker's own message.
/// </summary>
public static class Docker
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    public static async Task<string> RunAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("docker", args, Bound);
        return result.ExitCode == 0
            ? result.StandardOutput.Trim()
            : throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({result.ExitCode}): {result.StandardError.Trim()}");
    }

    /// <summary>Fails, saying how to get one, unless an engine answers and holds <paramref name="images"/>.</summary>
    public static async Task RequireAsync(params string[] images)
    {
        var info = await ProcessRunner.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(30));
        Assert.True(info.ExitCode == 0,
            $"No container engine answers (DOCKER_HOST={Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unset"}): ./eng/test.sh starts " +
            $"one for the tests (eng/test-engine.sh). {info.StandardError.Trim()}");
        foreach (var image in images)
        {
            var inspect = await ProcessRunner.RunAsync("docker", ["image", "inspect", "--format", "{{.Id}}", image], TimeSpan.FromSeconds(30));
            Assert.True(inspect.ExitCode == 0, $"The engine holds no {image}: ./eng/test.sh builds it (eng/images/build.sh, eng/worker-image.sh).");
        }
    }

    /// <summary>Every container, user-defined network and volume on the engine, to compare before and after a run.</summary>
    public static async Task<IReadOnlySet<string>> InventoryAsync()
    {
        var containers = await RunAsync("ps", "-a", "--format", "container {{.Names}} ({{.Image}})");
        var networks = await RunAsync("network", "ls", "--filter", "type=custom", "--format", "network {{.Name}}");
        var volumes = await RunAsync("volume", "ls", "--format", "volume {{.Name}}");
        return new[] { containers, networks, volumes }
            .SelectMany(list => list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToHashSet(StringComparer.Ordinal);
    }
}
