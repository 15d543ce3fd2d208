using ScottPlot;
using ScottPlot.TickGenerators;

namespace Bench.Comparison;

/// <summary>
/// The fault table as a picture: a square per fault and contender, green where the probe told the truth and nothing
/// was lost, red where it lied, lost data or needed a restart, grey where it was not measured.
/// </summary>
public static class FaultChart
{
    private static readonly Color Truth = Color.FromHex("#55A868");
    private static readonly Color Wrong = Color.FromHex("#C44E52");
    private static readonly Color Unknown = Color.FromHex("#BBBBBB");

    /// <param name="cells">Fault, contender and verdict ("ok", "lie", "lost", "restart", "alive failed", "not measured").</param>
    public static void Draw(IReadOnlyList<(string Fault, string Contender, string Verdict)> cells, string path)
    {
        var faults = cells.Select(c => c.Fault).Distinct().ToList();
        var contenders = cells.Select(c => c.Contender).Distinct().ToList();
        var plot = new Plot();
        foreach (var (fault, contender, verdict) in cells)
        {
            var (x, y) = (contenders.IndexOf(contender), faults.Count - 1 - faults.IndexOf(fault));
            var box = plot.Add.Rectangle(x + 0.05, x + 0.95, y + 0.05, y + 0.95);
            box.FillColor = verdict == "ok" ? Truth : verdict == "not measured" ? Unknown : Wrong;
            box.LineWidth = 0;
            var label = plot.Add.Text(verdict, x + 0.5, y + 0.5);
            label.LabelAlignment = Alignment.MiddleCenter;
            label.LabelFontColor = Colors.White;
            label.LabelFontSize = 13;
        }

        plot.Axes.Bottom.TickGenerator = new NumericManual([.. contenders.Select((_, i) => i + 0.5)], [.. contenders]);
        plot.Axes.Left.TickGenerator = new NumericManual([.. faults.Select((_, i) => faults.Count - 1 - i + 0.5)], [.. faults.Select(Plain)]);
        plot.Axes.SetLimits(0, contenders.Count, 0, faults.Count);
        plot.Title("Truth under faults (bench C2): green, the probes told the truth and nothing was lost");
        plot.SaveSvg(path, 1100, 80 + (48 * faults.Count));
    }

    /// <summary>The cells of the fault table in a results file (the verdict is each cell's first bold word).</summary>
    public static List<(string Fault, string Contender, string Verdict)> Parse(string markdown)
    {
        var lines = markdown.Split('\n').SkipWhile(l => !l.StartsWith("| fault |", StringComparison.Ordinal)).TakeWhile(l => l.StartsWith('|')).ToList();
        if (lines.Count < 3)
        {
            return [];
        }

        var contenders = Cells(lines[0]).Skip(1).ToList();
        return
        [
            .. lines.Skip(2).Select(Cells).SelectMany(row => row.Skip(1).Select((cell, i) =>
                (row[0], contenders[i], cell.StartsWith("not measured", StringComparison.Ordinal) ? "not measured" : cell.Split("**")[1]))),
        ];
    }

    private static List<string> Cells(string line) => [.. line.Trim().Trim('|').Split(" | ").Select(c => c.Trim())];

    private static string Plain(string markdown) => markdown.Replace("`", "", StringComparison.Ordinal);
}
