using Worker.Tests.Integration;

namespace Worker.Tests.Containers;

/// <summary>The dashboard's health column with the servers in containers, each checked by Aspire's own health check.</summary>
[Collection(nameof(ContainersCollection))]
public sealed class ContainersDashboardTests(ContainersAppFixture fixture)
{
    [Fact]
    public async Task The_dashboard_shows_every_container_and_the_worker_running_and_healthy()
    {
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(60), "before opening the dashboard");
        await using var dashboard = await DashboardPage.OpenAsync(fixture);

        await dashboard.AssertHealthyAsync(fixture, ["rabbitmq", "redis", "postgres", "worker"]);
        await dashboard.ScreenshotAsync("dashboard-containers.png");
    }
}
