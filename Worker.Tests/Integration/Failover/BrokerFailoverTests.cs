using Harness;
using Worker.Commands;
using Xunit.Abstractions;

namespace Worker.Tests.Integration.Failover;

/// <summary>
/// The node that leads the work queue goes away while messages flow, crashed or stopped cleanly; then two of three
/// nodes, so that the queue has no leader. Publishers and the test's own checks use a node that stays up.
/// </summary>
[Collection(nameof(BrokerClusterCollection))]
public sealed class BrokerFailoverTests(BrokerClusterFixture fixture, ITestOutputHelper output)
{
    private const int Messages = 20_000;
    private const string FirstNode = "rabbitmq";
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan FlowsAgainWithin = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan RejoinsWithin = TimeSpan.FromSeconds(90);

    // Once a consumer takes deliveries again, readiness follows within two of its checks and the progress window.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    [Fact]
    public Task A_crashed_leader_loses_nothing_the_consumer_moves_to_a_surviving_node_and_the_node_rejoins() =>
        LoseTheLeaderAsync(node => fixture.CrashAsync(node));

    [Fact]
    public Task A_stopped_leader_loses_nothing_the_consumer_moves_to_a_surviving_node_and_the_node_rejoins() =>
        LoseTheLeaderAsync(node => fixture.ExecuteCommandAsync(node, "resource-stop"));

    [Fact]
    public async Task Without_a_quorum_ready_fails_and_alive_holds_past_the_consumer_lost_threshold_until_a_node_returns()
    {
        await WaitForWholeClusterAsync();
        // The worker's connection survives: what it sees is the queue's leader lost, not its own node.
        var survivor = await fixture.ConsumerNodeAsync("work");
        var minority = BrokerClusterFixture.Nodes.Where(n => n != survivor).ToList();
        var backends = new Backends(fixture.App, broker: survivor);
        await using var timeline = new ProbeTimeline(fixture.Probes);
        foreach (var node in minority)
        {
            await fixture.ExecuteCommandAsync(node, "resource-stop");
        }

        await fixture.Probes.WaitForReadyAsync(500, TimeSpan.FromSeconds(30), "the work queue has no leader");
        var leaderless = timeline.Now;
        // Long enough for a consumer counted as lost to fail liveness, had the worker counted it so.
        await Task.Delay(BrokerClusterFixture.ConsumerLostThreshold + TimeSpan.FromSeconds(15));
        var held = timeline.Samples.Where(s => s.At > leaderless).ToList();

        // Started without waiting for its health: the first node's check covers the whole cluster.
        var returned = timeline.Now;
        await fixture.ExecuteCommandAsync(minority[0], "resource-start");
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(90), "a quorum is back");
        var readyAgain = timeline.Now;
        var prefix = $"quorum{Guid.NewGuid():N}";
        await using (var publisher = await backends.PublisherAsync())
        {
            using var bound = new CancellationTokenSource(Within);
            await publisher.PublishAsync([.. Enumerable.Range(0, 200).Select(i => SampleMessages.Valid($"{prefix}-{i}"))], 1000, bound.Token);
        }

        await backends.WaitForRowsAsync(prefix, 200);
        await fixture.ExecuteCommandAsync(minority[1], "resource-start");
        await WaitForWholeClusterAsync();

        var history = timeline.Describe();
        output.WriteLine($"Without a quorum from {leaderless.TotalSeconds:F1} s; {minority[0]} started at {returned.TotalSeconds:F1} s; " +
            $"ready 204 {(readyAgain - returned).TotalSeconds:F1} s later.{Environment.NewLine}{history}");
        Assert.True(held.All(s => s.Ready == 500), $"Readiness passed without a quorum:{Environment.NewLine}{history}");
        Assert.True(timeline.Samples.All(s => s.Alive == 204), $"Liveness failed, though a restart brings no quorum:{Environment.NewLine}{history}");
    }

    private async Task LoseTheLeaderAsync(Func<string, Task> lose)
    {
        await WaitForWholeClusterAsync();
        var leader = await fixture.QueueLeaderAsync("work");
        var survivor = BrokerClusterFixture.Nodes.First(n => n != leader);
        var backends = new Backends(fixture.App, broker: survivor);
        var prefix = $"node{Guid.NewGuid():N}";
        var worker = fixture.WorkerProcessId();
        await using var publisher = await backends.PublisherAsync();
        await using var timeline = new ProbeTimeline(fixture.Probes);
        using var bound = new CancellationTokenSource(Within);
        var publishing = publisher.PublishAsync([.. Enumerable.Range(0, Messages).Select(i => SampleMessages.Valid($"{prefix}-{i}"))], 2000, bound.Token);
        await FailoverTestSteps.WaitForRowsAtLeastAsync(backends, prefix, Messages / 5, bound.Token);

        var lostAt = timeline.Now;
        var storedAtLoss = await backends.RowsAsync(prefix);
        await lose(leader);
        await FailoverTestSteps.WaitForFlowAsync(backends, prefix, storedAtLoss, FlowsAgainWithin);
        var flowsAt = timeline.Now;
        await WaitForConsumerAsync(backends);
        await publishing.WaitAsync(bound.Token);
        await backends.WaitForRowsAsync(prefix, Messages);

        await fixture.ExecuteCommandAsync(leader, "resource-start");
        await WaitForWholeClusterAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), bound.Token);

        var history = timeline.Describe();
        output.WriteLine($"{leader} lost at {lostAt.TotalSeconds:F1} s; messages flowed again {(flowsAt - lostAt).TotalSeconds:F1} s later; " +
            $"ready not 204 for {timeline.NotReadyFor(lostAt).TotalSeconds:F1} s.{Environment.NewLine}{history}");
        Assert.True(timeline.Samples.All(s => s.Alive == 204), $"Liveness failed while a node was lost:{Environment.NewLine}{history}");
        Assert.True(timeline.Samples.Where(s => s.At < lostAt).All(s => s.Ready == 204), $"Readiness failed before the loss:{Environment.NewLine}{history}");
        Assert.True(timeline.Samples.Where(s => s.At > flowsAt + Settle).All(s => s.Ready == 204),
            $"Readiness failed after messages flowed again:{Environment.NewLine}{history}");
        Assert.Equal(worker, fixture.WorkerProcessId());
    }

    private static async Task WaitForConsumerAsync(Backends backends)
    {
        var deadline = DateTime.UtcNow + FlowsAgainWithin;
        while (await backends.WorkQueueConsumersAsync() < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"No consumer on the work queue {FlowsAgainWithin.TotalSeconds} s after messages flowed again.");
            await Task.Delay(250);
        }
    }

    /// <summary>
    /// All three nodes run as one cluster, and the worker is ready: where each test starts and ends. A node that an
    /// earlier test left down, having failed half-way, is started again.
    /// </summary>
    private async Task WaitForWholeClusterAsync()
    {
        // All started before any is waited for: the first node's health covers the whole cluster.
        foreach (var node in BrokerClusterFixture.Nodes.Where(node => fixture.TryProcessId(node) is null))
        {
            await fixture.ExecuteCommandAsync(node, "resource-start");
        }

        foreach (var node in BrokerClusterFixture.Nodes)
        {
            await fixture.WaitForHealthyAsync(node);
        }

        var deadline = DateTime.UtcNow + RejoinsWithin;
        IReadOnlySet<string> running = new HashSet<string>();
        while (DateTime.UtcNow < deadline && !(running = await fixture.RunningNodesAsync(FirstNode)).SetEquals(BrokerClusterFixture.Nodes))
        {
            await Task.Delay(500);
        }

        Assert.True(running.SetEquals(BrokerClusterFixture.Nodes), $"The cluster runs {string.Join(", ", running)} after {RejoinsWithin.TotalSeconds} s.");
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "the whole cluster runs");
    }
}
