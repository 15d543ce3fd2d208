namespace Bench.Comparison;

/// <summary>
/// The contenders for as long as the comparison runs: every peer process ends with it, then this worker is left
/// running on its default queue, as the figures after it expect. A failure here is reported, never thrown, so that
/// it cannot cost the figures already measured.
/// </summary>
public sealed class ComparisonRun(List<Contender> contenders) : IAsyncDisposable
{
    public IReadOnlyList<Contender> Contenders => contenders;

    /// <summary>What went wrong while ending the contenders, if anything.</summary>
    public List<string> DisposeFailures { get; } = [];

    public async ValueTask DisposeAsync()
    {
        // This worker is the first: it ends last.
        foreach (var contender in Enumerable.Reverse(contenders))
        {
            try
            {
                await contender.DisposeAsync();
            }
            catch (Exception ex)
            {
                DisposeFailures.Add($"{contender.Name}: {ex.Message.Split('\n')[0]}");
            }
        }
    }
}
