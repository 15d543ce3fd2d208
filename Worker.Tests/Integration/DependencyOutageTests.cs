namespace Worker.Tests.Integration;

/// <summary>
/// Each dependency goes away and comes back while the same worker keeps running. The servers' modes differ here (a
/// process or a container is stopped, started and frozen), so these run in both (<see cref="ProcessesDependencyOutageTests"/>,
/// <see cref="Containers.ContainersDependencyOutageTests"/>).
/// </summary>
public abstract class DependencyOutageTests<TFixture>(TFixture fixture)
    where TFixture : AppFixture
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
        // The worker's bound runs from the server's return, as Aspire's health check sees it (the dashboard too), not
        // from the start command: the broker's boot alone took 17 s of a 30 s bound on a loaded CI machine.
        await fixture.WaitForHealthyAsync(dependency);
        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, $"{dependency} back and healthy");

        Assert.Equal(worker, fixture.ProcessId("worker"));
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    [InlineData("postgres")]
    public async Task A_hung_dependency_fails_readiness_while_every_probe_still_answers_within_its_timeout(string dependency)
    {
        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, "before the hang");

        await using (await ServerFreeze.StartAsync(fixture, dependency))
        {
            // Every request inside is bounded by ProbeClient.RequestTimeout (2 s) and fails the test if it overstays.
            await fixture.Probes.WaitForReadyAsync(500, FailWithin, $"{dependency} frozen");
        }

        await fixture.Probes.WaitForReadyAsync(204, RecoverWithin, $"{dependency} thawed");
    }
}

[Collection(nameof(AppCollection))]
public sealed class ProcessesDependencyOutageTests(AppFixture fixture) : DependencyOutageTests<AppFixture>(fixture);
