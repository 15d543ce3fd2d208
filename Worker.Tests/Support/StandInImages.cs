using System.Text.Json.Nodes;

namespace Worker.Tests.Support;

/// <summary>
/// The stand-ins eng/images/build.sh makes for the official images, which this machine cannot pull: the official
/// paths and tags of aspire-manifest.json under a registry name of their own.
/// </summary>
public static class StandInImages
{
    /// <summary>Their registry, as BackingServices:ContainerRegistry names a mirror.</summary>
    public const string Registry = "localhost";

    private const string Official = "docker.io/";

    /// <summary>The worker's image, as eng/worker-image.sh builds it with the SDK.</summary>
    public const string Worker = "worker:latest";

    public static IReadOnlyList<string> All { get; } =
    [
        .. JsonNode.Parse(File.ReadAllText(RepositoryPaths.Manifest))!["resources"]!.AsObject()
            .Select(resource => resource.Value?["image"]?.GetValue<string>())
            .OfType<string>()
            .Where(image => image.StartsWith(Official, StringComparison.Ordinal))
            .Select(image => $"{Registry}/{image[Official.Length..]}")
            .Order(StringComparer.Ordinal),
    ];
}
