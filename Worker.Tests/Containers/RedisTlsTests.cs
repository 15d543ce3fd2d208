using Worker.Tests.Integration;

namespace Worker.Tests.Containers;

/// <summary>
/// With a trusted development certificate, Aspire starts Redis with TLS on its primary endpoint. The worker and
/// Aspire's own health check must then speak TLS too: a connection string without <c>ssl=true</c> kept the app
/// from ever becoming ready.
/// </summary>
[Collection(nameof(ContainersCollection))]
public sealed class RedisTlsTests(ContainersAppFixture fixture)
{
    [Fact]
    public async Task Redis_serves_TLS_from_the_development_certificate_and_the_worker_is_ready_over_it()
    {
        var redis = await fixture.ConnectionStringAsync("redis");

        Assert.True(redis.Contains("ssl=true", StringComparison.Ordinal),
            "Aspire gave Redis no TLS: this test needs a trusted ASP.NET development certificate, which eng/dev-certificate.sh creates.");
        Assert.Equal(redis, ProcessTree.Environment(fixture.WorkerProcessId())["ConnectionStrings__redis"]);
        await fixture.WaitForHealthyAsync("redis");
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(30), "Redis on TLS");
    }
}
