using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>Each dependency goes away and comes back while the same worker keeps running.</summary>
[Collection(nameof(AppCollection))]
public sealed class DependencyOutageTests(AppFixture fixture)
{
    private static readonly TimeSpan FailWithin = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RecoverWithin = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    [InlineData("postgres")]
    public async Task A_stopped_dependency_fails_readiness_but_not_liveness_and_its_return_restores_it(string dependency)
    {
        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, "before the outage");
        var worker = fixture.ProcessId("worker");

        await fixture.ExecuteCommandAsync(dependency, "resource-stop");
        await fixture.Probes.WaitForReadyAsync(500, FailWithin, $"{dependency} stopped");

        await fixture.ExecuteCommandAsync(dependency, "resource-start");
        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, $"{dependency} started again");

        Assert.Equal(worker, fixture.ProcessId("worker"));
    }

    [SkippableTheory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    [InlineData("postgres")]
    public async Task A_hung_dependency_fails_readiness_while_every_probe_still_answers_within_its_timeout(string dependency)
    {
        Skip.IfNot(fixture.LocalServers, "A server in a container has no process here to freeze with SIGSTOP, and no engine is asked to pause it.");
        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, "before the hang");
        var server = fixture.ProcessId(dependency);

        await ProcessTree.PauseAsync(server);
        try
        {
            // Every request inside is bounded by ProbeClient.RequestTimeout (2 s) and fails the test if it overstays.
            await fixture.Probes.WaitForReadyAsync(500, FailWithin, $"{dependency} paused with SIGSTOP");
        }
        finally
        {
            await ProcessTree.ResumeAsync(server);
        }

        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, $"{dependency} resumed with SIGCONT");
    }
}
