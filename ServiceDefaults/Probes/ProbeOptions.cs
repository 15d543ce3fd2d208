using System.ComponentModel.DataAnnotations;

namespace ServiceDefaults.Probes;

/// <summary>The probes' paths, answers and timing, bound from the <c>Probes</c> configuration section.</summary>
public sealed class ProbeOptions
{
    public const string SectionName = "Probes";

    [Required, RegularExpression("^/.*", ErrorMessage = "Probes:AlivePath must start with '/'.")]
    public string AlivePath { get; set; } = ProbeDefaults.AlivePath;

    [Required, RegularExpression("^/.*", ErrorMessage = "Probes:ReadyPath must start with '/'.")]
    public string ReadyPath { get; set; } = ProbeDefaults.ReadyPath;

    /// <summary>The page's contract: 204 with an empty body.</summary>
    [Range(200, 399, ErrorMessage = "Probes:HealthyStatusCode must be 200-399, which Kubernetes reads as success.")]
    public int HealthyStatusCode { get; set; } = ProbeDefaults.HealthyStatusCode;

    [Range(400, 599, ErrorMessage = "Probes:UnhealthyStatusCode must be 400-599, which Kubernetes reads as failure.")]
    public int UnhealthyStatusCode { get; set; } = ProbeDefaults.UnhealthyStatusCode;

    /// <summary>How often the background refresher runs every check.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The bound on each check, including the time it takes to build it.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>A result older than this many intervals reads as unhealthy: the refresher has stopped.</summary>
    [Range(2, 100)]
    public int StaleAfterIntervals { get; set; } = 3;

    public TimeSpan StaleAfter => RefreshInterval * StaleAfterIntervals;

    /// <summary>Work waiting and nothing completed for this long: readiness fails, naming the last error.</summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromSeconds(30);

    internal static IEnumerable<string> Validate(ProbeOptions options)
    {
        if (options.RefreshInterval < TimeSpan.FromSeconds(1) || options.RefreshInterval > TimeSpan.FromMinutes(5))
        {
            yield return $"Probes:RefreshInterval is {options.RefreshInterval}, but it must be between 1 second and 5 minutes.";
        }

        if (options.CheckTimeout <= TimeSpan.Zero || options.CheckTimeout >= options.RefreshInterval)
        {
            yield return $"Probes:CheckTimeout is {options.CheckTimeout}, but it must be above zero and below Probes:RefreshInterval ({options.RefreshInterval}).";
        }

        if (options.StallAfter < options.RefreshInterval * 2 || options.StallAfter > TimeSpan.FromHours(1))
        {
            yield return $"Probes:StallAfter is {options.StallAfter}, but it must be at least two Probes:RefreshInterval ({options.RefreshInterval * 2}) and at most 1 hour.";
        }

        if (string.Equals(options.AlivePath, options.ReadyPath, StringComparison.OrdinalIgnoreCase))
        {
            yield return "Probes:AlivePath and Probes:ReadyPath must differ.";
        }
    }
}
