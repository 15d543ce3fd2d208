using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace AppHost.BackingServices;

/// <summary>
/// Where the three official images come from: <c>BackingServices:ContainerRegistry</c> names a mirror that holds them
/// under their official paths (air-gapped and corporate machines, or the tests' stand-ins), and
/// <c>BackingServices:{RabbitMQ,Redis,Postgres}:ImageTag</c> a tag where the mirror holds another one. Unset, each
/// image is the one its Aspire integration names. A value no image reference could hold stops the start, naming its key.
/// </summary>
public sealed partial class ContainerImages(IConfiguration configuration)
{
    public const string RegistryKey = "BackingServices:ContainerRegistry";

    private readonly string? _registry = Read(configuration, RegistryKey, Registry(), "a registry host, with an optional port and path, such as mirror.example.com:5000/dockerhub");

    /// <summary>Applies the mirror and the tag of <paramref name="server"/> (RabbitMQ, Redis or Postgres) to its container.</summary>
    public IResourceBuilder<T> Apply<T>(IResourceBuilder<T> container, string server)
        where T : ContainerResource
    {
        if (_registry is not null)
        {
            container.WithImageRegistry(_registry);
        }

        var tagKey = $"BackingServices:{server}:ImageTag";
        if (Read(configuration, tagKey, Tag(), "an image tag: letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'") is { } tag)
        {
            container.WithImageTag(tag);
        }

        return container;
    }

    private static string? Read(IConfiguration configuration, string key, Regex pattern, string expected)
    {
        var value = configuration[key];
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return pattern.IsMatch(value) ? value : throw new InvalidOperationException($"{key} is '{value}', but it must be {expected}.");
    }

    // The grammar of a reference's domain and path components (distribution/reference): a path is lower case.
    [GeneratedRegex(@"\A[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*\z")]
    private static partial Regex Registry();

    [GeneratedRegex(@"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex Tag();
}
