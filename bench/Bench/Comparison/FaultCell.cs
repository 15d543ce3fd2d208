using System.Globalization;

namespace Bench.Comparison;

/// <summary>
/// One contender through one fault: what it lost and stored twice, how long it made no progress, what its probes
/// answered meanwhile, and whether it came back by itself.
/// </summary>
/// <param name="Lost">The cell's messages neither stored nor in the error queue.</param>
/// <param name="InErrorQueue">The cell's messages in the contender's error queue, the poison one included.</param>
/// <param name="StoredTwice">Rows beyond one per id; the table's primary key holds this at 0 for every contender.</param>
public sealed record FaultCell(
    string Fault,
    string Contender,
    long Lost,
    long InErrorQueue,
    long StoredTwice,
    double StalledSeconds,
    double ReadyHealthySeconds,
    int AliveFailures,
    bool NeededRestart,
    string? NotMeasured = null)
{
    /// <summary>A stall shorter than this is the ordinary pace of a stream, not one a probe must see.</summary>
    public const double StallSeconds = 10;

    public static FaultCell Unmeasured(string fault, string contender, string why) => new(fault, contender, 0, 0, 0, 0, 0, 0, false, why);

    /// <summary>
    /// Readiness answered healthy through a stall of <see cref="StallSeconds"/> or more (90 % of it, for the probes'
    /// sampling): it said "all is well" while nothing moved, and never said otherwise.
    /// </summary>
    public bool Lied => StalledSeconds >= StallSeconds && ReadyHealthySeconds >= 0.9 * StalledSeconds;

    /// <summary>Green: the probe told the truth, nothing was lost, and no restart was needed.</summary>
    public bool Truthful => NotMeasured is null && Lost == 0 && StoredTwice == 0 && !Lied && !NeededRestart && AliveFailures == 0;

    public string Verdict => NotMeasured is not null ? "not measured"
        : Truthful ? "ok" : Lost > 0 || StoredTwice > 0 ? "lost" : Lied ? "lie" : NeededRestart ? "restart" : "alive failed";

    /// <summary>The cell's text: the verdict first (the chart reads it), then the figures.</summary>
    public string ToMarkdown() => (NotMeasured is not null
        ? $"not measured: {NotMeasured}"
        : string.Create(CultureInfo.InvariantCulture,
            $"**{Verdict}**: {Lost} lost, {InErrorQueue} in the error queue, {StoredTwice} twice; no progress for {StalledSeconds:0.0} s, ready healthy for {ReadyHealthySeconds:0.0} s of it; alive failed {AliveFailures}×; {(NeededRestart ? "recovered only after a restart" : "recovered by itself")}"))
        .Replace("|", "\\|", StringComparison.Ordinal);
}
