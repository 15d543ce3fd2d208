using ScottPlot;
using ScottPlot.TickGenerators;

namespace Bench;

/// <summary>
/// The two pictures the README shows, drawn from a full run's figures: readiness latency while each dependency hangs
/// (this worker against the page's sequential design, log scale), and the drain rates.
/// </summary>
public static class Charts
{
    private static readonly Color Worker = Color.FromHex("#4C72B0");
    private static readonly Color Baseline = Color.FromHex("#DD8452");

    /// <param name="faultCells">The fault table's cells (C2): drawn as docs/faults-compared.svg when there are any.</param>
    public static void Draw(IReadOnlyList<Figure> figures, IReadOnlyList<(string Fault, string Contender, string Verdict)> faultCells, string directory)
    {
        Directory.CreateDirectory(directory);
        HangingDependencies(figures, Path.Combine(directory, "readiness-while-hung.svg"));
        DrainRates(figures, Path.Combine(directory, "drain-rates.svg"));
        if (faultCells.Count > 0)
        {
            Comparison.FaultChart.Draw(faultCells, Path.Combine(directory, "faults-compared.svg"));
        }
    }

    private static void HangingDependencies(IReadOnlyList<Figure> figures, string path)
    {
        var plot = new Plot();
        var groups = new[] { "redis", "postgres", "rabbitmq" }
            .Select(d => (Dependency: d, Figure: figures.FirstOrDefault(f => f.Id == "P3" && f.What == $"{d} hung: `/internal/ready` slowest response")))
            .Where(g => g.Figure is { Baseline: not null } && !double.IsNaN(g.Figure.Value))
            .ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            var figure = groups[i].Figure!;
            plot.Add.Bar(new Bar { Position = (i * 3) + 0, Value = Math.Log10(Math.Max(figure.Value, 0.1)), FillColor = Worker });
            plot.Add.Bar(new Bar { Position = (i * 3) + 1, Value = Math.Log10(figure.Baseline!.Value), FillColor = Baseline });
        }

        plot.Axes.Bottom.TickGenerator = new NumericManual(
            [.. groups.Select((_, i) => (i * 3) + 0.5)], [.. groups.Select(g => $"{g.Dependency} frozen")]);
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"{Math.Pow(10, y):0.#} ms",
        };
        plot.Axes.Left.Label.Text = "slowest /internal/ready answer (log scale)";
        plot.Title("Readiness while one dependency hangs (bench P3)");
        Legend(plot, ("this worker: cached, bounded checks", Worker), ("the page's design: checks in turn, 5 s each", Baseline));
        // Room above the tallest bar for the legend.
        plot.Axes.SetLimitsY(0, 5);
        plot.SaveSvg(path, 800, 450);
    }

    private static void DrainRates(IReadOnlyList<Figure> figures, string path)
    {
        var p4 = figures.FirstOrDefault(f => f.Id == "P4" && f.What.StartsWith("drain rate of", StringComparison.Ordinal));
        var bars = new List<(string Label, double Value, Color Color)>();
        if (p4 is { Baseline: { } noOp })
        {
            bars.Add(("no-op consumer (auto-ack)", noOp, Baseline));
            bars.Add(("worker", p4.Value, Worker));
        }

        bars.AddRange(figures.Where(f => f.Id is "R2" or "R3" && f.What.EndsWith("drain rate of the valid ones", StringComparison.Ordinal))
            .Select(f => ($"worker, {f.What.Split(' ')[0]} poison{(f.What.Contains("body-too-large", StringComparison.Ordinal) ? " incl. oversized" : "")}", f.Value, Worker)));
        bars.AddRange(figures.Where(f => f.Id == "R4" && f.What.StartsWith("drain rate", StringComparison.Ordinal))
            .Select(f => (f.What[(f.What.IndexOf("with ", StringComparison.Ordinal) + 5)..], f.Value, Worker)));

        // Horizontal bars, top to bottom in the order above, so that the labels stay readable.
        var plot = new Plot();
        var plotted = plot.Add.Bars(bars.Select((b, i) => new Bar
        {
            Position = bars.Count - 1 - i,
            Value = b.Value,
            FillColor = b.Color,
            Label = $"{b.Value:N0}",
        }).ToList());
        plotted.Horizontal = true;
        plot.Axes.Left.TickGenerator = new NumericManual([.. bars.Select((_, i) => (double)(bars.Count - 1 - i))], [.. bars.Select(b => b.Label)]);
        plot.Axes.Bottom.Label.Text = "messages stored per second";
        plot.Title("Draining 100,000 queued messages (bench P4, R2, R3, R4)");
        plot.Axes.Margins(left: 0, right: 0.15);
        plot.SaveSvg(path, 900, 60 + (45 * Math.Max(bars.Count, 2)));
    }

    private static void Legend(Plot plot, params (string Text, Color Color)[] items)
    {
        foreach (var (text, color) in items)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = text, FillColor = color });
        }

        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperLeft;
    }
}
