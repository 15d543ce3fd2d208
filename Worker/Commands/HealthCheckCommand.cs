using System.Globalization;
using Microsoft.Extensions.Options;
using ServiceDefaults.Probes;

namespace Worker.Commands;

/// <summary>
/// <c>Worker healthcheck ready|alive [--url http://127.0.0.1:8000] [--timeout 2]</c>: probes the local endpoint and
/// exits 0 when healthy, 1 otherwise with one line on stderr. .NET's base images ship no curl, so a container's
/// HEALTHCHECK (Compose) runs this instead.
/// </summary>
public static class HealthCheckCommand
{
    public const string Name = "healthcheck";
    private const string Usage = "usage: Worker healthcheck ready|alive [--url http://127.0.0.1:8000] [--timeout SECONDS]";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration)
    {
        var probes = new ProbeOptions();
        configuration.GetSection(ProbeOptions.SectionName).Bind(probes);
        if (args is not [("ready" or "alive") and var probe, .. var rest] || rest.Length % 2 != 0)
        {
            await Console.Error.WriteLineAsync($"healthcheck: name the probe, ready or alive. {Usage}");
            return 2;
        }

        var options = rest.Chunk(2).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        var baseUrl = options.GetValueOrDefault("--url") ?? LocalProbeUrl(configuration);
        if (options.Keys.Except(["--url", "--timeout"]).FirstOrDefault() is { } unknown
            || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseUri)
            || !double.TryParse(options.GetValueOrDefault("--timeout") ?? "2", NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || seconds <= 0)
        {
            await Console.Error.WriteLineAsync($"healthcheck: bad arguments. {Usage}");
            return 2;
        }

        var url = new Uri(baseUri, probe == "ready" ? probes.ReadyPath : probes.AlivePath);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(seconds) };
        try
        {
            using var response = await http.GetAsync(url);
            if ((int)response.StatusCode == probes.HealthyStatusCode)
            {
                return 0;
            }

            await Console.Error.WriteLineAsync($"healthcheck: {url} answered {(int)response.StatusCode}, not {probes.HealthyStatusCode}.");
        }
        catch (TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"healthcheck: {url} did not answer within {seconds} s.");
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"healthcheck: {url} could not be reached: {ex.Message}");
        }

        return 1;
    }

    // The port the probes are served on in a container (the Kestrel endpoint the manifest sets), else the default.
    private static string LocalProbeUrl(IConfiguration configuration) =>
        (configuration[$"Kestrel:Endpoints:{ProbeDefaults.EndpointName}:Url"] ?? $"http://+:{ProbeDefaults.Port}").Replace("+", "127.0.0.1", StringComparison.Ordinal)
            .Replace("*", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
}
