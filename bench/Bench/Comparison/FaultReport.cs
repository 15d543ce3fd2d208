using System.Globalization;
using System.Text;

namespace Bench.Comparison;

/// <summary>The fault table of C2 in the results file, and what of it fails the run.</summary>
public static class FaultReport
{
    public const string NotApplicable = "not applicable";

    /// <summary>
    /// What fails the run: this worker losing a message, storing one twice, lying or needing a restart, and any cell
    /// the bench failed to measure. A peer's losses are findings, not failures.
    /// </summary>
    public static IReadOnlyList<Figure> Figures(IReadOnlyList<FaultCell> cells)
    {
        var worker = cells.Where(c => c.Contender == WorkerContender.Title && c.NotMeasured is null).ToList();
        var wrong = worker.Where(c => !c.Truthful).ToList();
        var failed = cells.Count(c => c.NotMeasured is { } why && !why.StartsWith(NotApplicable, StringComparison.Ordinal));
        return
        [
            new("C2", $"faults where this worker lost, stored twice, lied or needed a restart{(wrong.Count > 0 ? $" ({string.Join("; ", wrong.Select(c => c.Fault))})" : "")}", wrong.Count, "faults", worker.Count, "faults measured", "0", wrong.Count == 0, Correctness: true),
            new("C2", "fault-table cells the bench failed to measure", failed, "cells", cells.Count, "cells", "0", failed == 0, Correctness: true),
        ];
    }

    /// <summary>A row per fault, a column per contender, and the count of lies.</summary>
    public static string ToMarkdown(IReadOnlyList<FaultCell> cells)
    {
        var columns = cells.Select(c => c.Contender).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine("## C2: truth under faults");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| fault | {string.Join(" | ", columns)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(columns.Select(_ => "---|"))}");
        foreach (var row in cells.GroupBy(c => c.Fault))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Key} | {string.Join(" | ", columns.Select(c => row.FirstOrDefault(x => x.Contender == c)?.ToMarkdown() ?? "—"))} |");
        }

        var lies = cells.Where(c => c.Lied).GroupBy(c => c.Contender).ToDictionary(g => g.Key, g => g.Count());
        text.AppendLine();
        var counted = string.Join(", ", columns.Select(c => $"{c} {lies.GetValueOrDefault(c)}"));
        text.AppendLine(
            string.Create(CultureInfo.InvariantCulture, $"Lies (readiness healthy through a stall of {FaultCell.StallSeconds:0} s or more): {counted}. ") +
            "No progress: the longest time the cell's row count, read every 0.5 s, stood still while rows were still to come. " +
            "A contender that had not stored the messages published after the fault within 60 s was restarted.");
        return text.ToString();
    }
}
