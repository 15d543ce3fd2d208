using System.Globalization;
using System.Text;

namespace Bench;

/// <summary>
/// One figure: its value, the baseline measured in the same run, and the goal. A correctness figure (a message lost,
/// a probe that lied) fails the run when its goal is missed, the smoke run in CI included; speed figures are records.
/// </summary>
public sealed record Figure(string Id, string What, double Value, string Unit, double? Baseline, string BaselineWhat, string Goal, bool? Met, bool Correctness = false);

public static class ResultsTable
{
    /// <param name="appendix">Markdown that follows the figures (the fault table of C2), if any.</param>
    public static string ToMarkdown(IEnumerable<Figure> figures, string mode, TimeSpan took, string? appendix = null)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark results ({mode})");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.MachineName}: {Environment.ProcessorCount} cores, {MemoryGb():0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; the bench took {took.TotalMinutes:0.0} min. Every ratio is to a baseline measured in the same run. Produced by `bench/run.sh`.");
        text.AppendLine();
        text.AppendLine("| id | what | value | baseline | ratio | goal | met |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var f in figures)
        {
            var baseline = f.Baseline is { } b ? $"{Format(b)} {f.Unit} ({f.BaselineWhat})" : f.BaselineWhat;
            var ratio = f.Baseline is { } d && d != 0 ? $"{(f.Value / d).ToString("0.00##", CultureInfo.InvariantCulture)}×" : "—";
            var met = f.Met switch { true => "yes", false when f.Correctness => "**NO: wrong**", false => "**no**", null => "—" };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {f.Id} | {f.What} | {Format(f.Value)} {f.Unit} | {baseline} | {ratio} | {f.Goal} | {met} |");
        }

        if (appendix is not null)
        {
            text.AppendLine();
            text.Append(appendix);
        }

        return text.ToString();
    }

    private static string Format(double value) => value switch
    {
        double.NaN => "not measured",
        _ when value == Math.Floor(value) => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 1 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", CultureInfo.InvariantCulture),
    };

    /// <summary>The figures of a results file, as far as the charts need them: id, what, value and baseline.</summary>
    public static List<Figure> Parse(string markdown) =>
    [
        .. markdown.Split('\n')
            .Where(line => line.StartsWith("| ", StringComparison.Ordinal) && !line.StartsWith("| id ", StringComparison.Ordinal))
            .Select(line => line.Split(" | "))
            .Where(cells => cells.Length >= 4)
            .Select(cells => new Figure(cells[0].TrimStart('|', ' '), cells[1], Number(cells[2]) ?? double.NaN, "", Number(cells[3]), "", "", null)),
    ];

    // "9,315 msg/s" -> 9315; "— " or "not measured" -> null.
    private static double? Number(string cell) =>
        double.TryParse(cell.Split(' ')[0].Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static double MemoryGb() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024;
}
