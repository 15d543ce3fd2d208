using Worker.Commands;
using Xunit.Abstractions;

namespace Worker.Tests.Integration.Failover;

/// <summary>
/// The database's primary crashes while messages flow, and its synchronous standby is promoted, as an operator or
/// Patroni would. The worker's connection string names both servers and accepts only a primary.
/// </summary>
[Collection(nameof(DatabaseStandbyCollection))]
public sealed class DatabaseFailoverTests(DatabaseStandbyFixture fixture, ITestOutputHelper output)
{
    private const int Messages = 10_000;
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_crashed_primary_replaced_by_its_promoted_standby_loses_nothing_and_the_same_worker_writes_to_it()
    {
        var backends = new Backends(fixture.App);
        var prefix = $"pg{Guid.NewGuid():N}";
        var worker = fixture.WorkerProcessId();
        await using var publisher = await backends.PublisherAsync();
        await using var timeline = new ProbeTimeline(fixture.Probes);
        using var bound = new CancellationTokenSource(Within);
        var publishing = publisher.PublishAsync([.. Enumerable.Range(0, Messages).Select(i => SampleMessages.Valid($"{prefix}-{i}"))], 1000, bound.Token);
        await FailoverTestSteps.WaitForRowsAtLeastAsync(backends, prefix, Messages / 5, bound.Token);

        var crashedAt = timeline.Now;
        await fixture.CrashAsync("postgres");
        await fixture.Probes.WaitForReadyAsync(500, TimeSpan.FromSeconds(30), "no server is a primary");
        // A while without a primary, as an operator takes to decide.
        await Task.Delay(TimeSpan.FromSeconds(5), bound.Token);
        var promotedAt = timeline.Now;
        await fixture.PromoteStandbyAsync();

        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "the promoted standby is the primary");
        await publishing.WaitAsync(bound.Token);
        await backends.WaitForRowsAsync(prefix, Messages);
        await Task.Delay(TimeSpan.FromSeconds(3), bound.Token);

        var samples = timeline.Samples;
        var history = timeline.Describe();
        var answered = samples.First(s => s.At > promotedAt && s.Ready == 204).At;
        output.WriteLine($"Primary crashed at {crashedAt.TotalSeconds:F1} s, standby promoted at {promotedAt.TotalSeconds:F1} s; " +
            $"ready 204 again {(answered - promotedAt).TotalSeconds:F1} s after the promotion.{Environment.NewLine}{history}");
        Assert.True(samples.All(s => s.Alive == 204), $"Liveness failed during the failover:{Environment.NewLine}{history}");
        Assert.True(samples.Where(s => s.At < crashedAt).All(s => s.Ready == 204), $"Readiness failed before the crash:{Environment.NewLine}{history}");
        Assert.True(samples.Any(s => s.At > crashedAt && s.At < promotedAt && s.Ready == 500), $"Readiness never failed without a primary:{Environment.NewLine}{history}");
        Assert.True(samples.Where(s => s.At > answered).All(s => s.Ready == 204), $"Readiness failed again once the new primary answered:{Environment.NewLine}{history}");
        Assert.Equal(worker, fixture.WorkerProcessId());
    }
}
