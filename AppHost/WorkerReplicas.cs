using Microsoft.Extensions.Configuration;

namespace AppHost;

/// <summary>
/// How many workers run locally (<c>Worker:Replicas</c>, default 1): <c>worker</c>, <c>worker-2</c>, … each with a
/// probe port of its own (8000, 8001, …) so that each one's probes can be asked. The manifest always describes one
/// worker on port 8000: a deployment scales it with its own replica count.
/// </summary>
public static class WorkerReplicas
{
    public const string ConfigurationKey = "Worker:Replicas";
    public const int FirstProbePort = ServiceDefaults.Probes.ProbeDefaults.Port;
    private const int Max = 10;

    public static IEnumerable<(string Name, int ProbePort)> All(IDistributedApplicationBuilder builder)
    {
        var value = builder.Configuration[ConfigurationKey];
        var count = value is null ? 1
            : int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= Max ? parsed
            : throw new InvalidOperationException($"{ConfigurationKey} is '{value}', but it must be a whole number from 1 to {Max}.");
        if (builder.ExecutionContext.IsPublishMode)
        {
            count = 1;
        }

        return Enumerable.Range(1, count).Select(i => (i == 1 ? "worker" : $"worker-{i}", FirstProbePort + i - 1));
    }
}
