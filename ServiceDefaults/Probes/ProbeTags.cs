namespace ServiceDefaults.Probes;

/// <summary>Health-check tags that say which probe a check counts for.</summary>
public static class ProbeTags
{
    /// <summary>Counts for liveness (and readiness). Such a check must do no I/O to any dependency.</summary>
    public const string Live = "live";

    /// <summary>Counts for readiness only. Every check without <see cref="Live"/> gets it.</summary>
    public const string Ready = "ready";
}
