namespace Worker.Tests.Integration;

[Collection(nameof(AppCollection))]
public sealed class ProbeTests(AppFixture fixture)
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
