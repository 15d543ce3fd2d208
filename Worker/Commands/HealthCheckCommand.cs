using System.CommandLine;
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

    public const string Usage = "usage: Worker healthcheck ready|alive [--url http://127.0.0.1:8000] [--timeout SECONDS]";

    public static Command Create(IConfiguration configuration)
    {
        var probes = new ProbeOptions();
        configuration.GetSection(ProbeOptions.SectionName).Bind(probes);
        var probe = new Argument<string>("probe") { Description = "Which probe: ready or alive." };
        probe.AcceptOnlyFromAmong("ready", "alive");
        var url = new Option<Uri>("--url")
        {
            Description = "Where the probes are served.",
            CustomParser = result => AbsoluteUri(result.Tokens[0].Value, result),
            DefaultValueFactory = result => AbsoluteUri(LocalProbeUrl(configuration), result),
        };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer.", DefaultValueFactory = _ => 2 };
        timeout.Within(0.001, 3600);

        var command = new Command(Name, "Probes the worker's endpoint; exits 0 when healthy, 1 otherwise.") { probe, url, timeout };
        command.SetAction((parsed, ct) => RunAsync(
            new Uri(parsed.GetValue(url)!, parsed.GetValue(probe) == "ready" ? probes.ReadyPath : probes.AlivePath),
            TimeSpan.FromSeconds(parsed.GetValue(timeout)), probes.HealthyStatusCode, ct));
        return command;
    }

    private static async Task<int> RunAsync(Uri url, TimeSpan timeout, int healthy, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            using var response = await http.GetAsync(url, ct);
            if ((int)response.StatusCode == healthy)
            {
                return 0;
            }

            await Console.Error.WriteLineAsync($"{Name}: {url} answered {(int)response.StatusCode}, not {healthy}.");
        }
        catch (TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"{Name}: {url} did not answer within {timeout.TotalSeconds} s.");
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"{Name}: {url} could not be reached: {ex.Message}");
        }

        return 1;
    }

    private static Uri AbsoluteUri(string text, System.CommandLine.Parsing.ArgumentResult result)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return uri;
        }

        result.AddError($"--url must be an absolute URL, not '{text}'.");
        return null!;
    }

    // The port the probes are served on in a container (the Kestrel endpoint the manifest sets), else the default.
    private static string LocalProbeUrl(IConfiguration configuration) =>
        (configuration[$"Kestrel:Endpoints:{ProbeDefaults.EndpointName}:Url"] ?? $"http://+:{ProbeDefaults.Port}").Replace("+", "127.0.0.1", StringComparison.Ordinal)
            .Replace("*", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
}
