namespace Worker.Tests.Integration;

/// <summary>The probes' answers with every server up, in both modes (<see cref="ProcessesProbeTests"/>, <see cref="Containers.ContainersProbeTests"/>).</summary>
public abstract class ProbeTests<TFixture>(TFixture fixture)
    where TFixture : AppFixture
{
    [Fact]
    public async Task Liveness_answers_204_with_an_empty_body()
    {
        var (status, body) = await fixture.Probes.GetAsync(ProbeClient.Alive);

        Assert.Equal(204, status);
        Assert.Empty(body);
    }

    [Fact]
    public async Task Readiness_answers_204_with_an_empty_body_when_every_dependency_answers()
    {
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(30), "all servers up");

        var (status, body) = await fixture.Probes.GetAsync(ProbeClient.Ready);

        Assert.Equal(204, status);
        Assert.Empty(body);
    }
}

[Collection(nameof(AppCollection))]
public sealed class ProcessesProbeTests(AppFixture fixture) : ProbeTests<AppFixture>(fixture);
