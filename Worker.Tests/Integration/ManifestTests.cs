using System.Text.Json.Nodes;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

public sealed class ManifestTests
{
    [Fact]
    public async Task The_committed_manifest_is_what_the_app_host_publishes_now()
    {
        var output = Path.Combine(Path.GetTempPath(), $"aspire-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var publish = await ProcessRunner.RunAsync("dotnet",
                ["run", "--project", RepositoryPaths.AppHostProject, "--no-build", "-c", RepositoryPaths.Configuration, "--no-launch-profile",
                 "--", "--publisher", "manifest", "--output-path", output],
                TimeSpan.FromMinutes(2));
            Assert.True(publish.ExitCode == 0, publish.Output);

            var fresh = await ReadWithFullPathsAsync(output);
            var committed = await ReadWithFullPathsAsync(RepositoryPaths.Manifest);
            Assert.True(JsonNode.DeepEquals(fresh, committed),
                "aspire-manifest.json is stale: regenerate it with the command in README.md.");
        }
        finally
        {
            File.Delete(output);
        }
    }

    // Project paths in a manifest are relative to the manifest's own folder.
    private static async Task<JsonNode?> ReadWithFullPathsAsync(string manifest)
    {
        var root = JsonNode.Parse(await File.ReadAllTextAsync(manifest));
        foreach (var (_, resource) in root!["resources"]!.AsObject())
        {
            if (resource?["path"] is JsonValue path)
            {
                resource["path"] = Path.GetFullPath(path.GetValue<string>(), Path.GetDirectoryName(manifest)!);
            }
        }

        return root;
    }
}
