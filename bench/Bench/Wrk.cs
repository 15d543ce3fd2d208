using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Bench;

public sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, double MaxMs, long Requests, long Non2xx);

/// <summary>Drives an endpoint with wrk (Debian's package) and reads its summary.</summary>
public static partial class Wrk
{
    public static async Task<LoadResult> RunAsync(Uri url, int connections, TimeSpan duration)
    {
        var startInfo = new ProcessStartInfo("wrk",
            ["-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "--timeout", "5s", url.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var wrk = Process.Start(startInfo)!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        if (wrk.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed: {output}{await wrk.StandardError.ReadToEndAsync()}");
        }

        return new LoadResult(
            double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Millis(Percentile(output, "50%")),
            Millis(Percentile(output, "99%")),
            Millis(MaxLatency().Match(output).Groups[1].Value),
            long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    private static string Percentile(string output, string label) =>
        Regex.Match(output, $@"^\s+{Regex.Escape(label)}\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;

    // wrk prints 512.00us, 1.23ms, 2.00s.
    private static double Millis(string value)
    {
        var unit = UnitPattern().Match(value);
        var number = double.Parse(unit.Groups[1].Value, CultureInfo.InvariantCulture);
        return unit.Groups[2].Value switch { "us" => number / 1000, "ms" => number, "s" => number * 1000, _ => number * 60_000 };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Latency\s+\S+\s+\S+\s+(\S+)")]
    private static partial Regex MaxLatency();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"^([\d.]+)(us|ms|s|m)$")]
    private static partial Regex UnitPattern();
}
