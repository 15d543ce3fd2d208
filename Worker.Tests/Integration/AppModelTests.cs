using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Worker.Tests.Integration;

/// <summary>The app model of each mode, built but not run.</summary>
public sealed class AppModelTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);
    private static readonly string[] Dependencies = ["rabbitmq", "redis", "workerdb"];

    [Fact]
    public async Task Containers_mode_uses_the_official_integrations_and_the_worker_references_and_waits_for_each()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--BackingServices:Mode=containers"], cancellation.Token);

        Assert.IsType<RabbitMQServerResource>(Resource(builder, "rabbitmq"));
        Assert.IsType<RedisResource>(Resource(builder, "redis"));
        Assert.IsType<PostgresServerResource>(Resource(builder, "postgres"));
        Assert.IsType<PostgresDatabaseResource>(Resource(builder, "workerdb"));
        AssertWorkerReferencesAndWaitsForEachDependency(builder);
    }

    [Fact]
    public async Task Processes_mode_holds_no_container_and_the_worker_references_and_waits_for_each()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--BackingServices:Mode=processes"], cancellation.Token);

        Assert.Empty(builder.Resources.OfType<ContainerResource>());
        Assert.All(["rabbitmq", "redis", "postgres"], name => Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, name)));
        AssertWorkerReferencesAndWaitsForEachDependency(builder);
    }

    [Fact]
    public async Task An_unknown_mode_stops_the_app_host_with_a_message_naming_the_setting()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--BackingServices:Mode=vms"], cancellation.Token));

        Assert.Contains("BackingServices:Mode is 'vms'", Flatten(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis-password", "pa#ss")]
    [InlineData("workerdb-password", "a;b")]
    [InlineData("rabbitmq-username", "us@er")]
    public async Task A_credential_the_local_servers_cannot_carry_stops_the_app_host_naming_it(string parameter, string value)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--BackingServices:Mode=processes", $"--Parameters:{parameter}={value}"], cancellation.Token));

        Assert.Contains($"Parameters:{parameter} holds characters", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_replicas_each_get_their_own_probe_port_and_every_dependency()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--BackingServices:Mode=processes", "--Worker:Replicas=3"], cancellation.Token);

        var workers = builder.Resources.OfType<ProjectResource>().Where(r => r.Name.StartsWith("worker", StringComparison.Ordinal)).ToList();
        Assert.Equal(["worker", "worker-2", "worker-3"], workers.Select(w => w.Name));
        Assert.Equal([8000, 8001, 8002], workers.Select(w => w.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "probes").Port));
        AssertWorkerReferencesAndWaitsForEachDependency(builder);
    }

    [Theory]
    [InlineData("processes", "--Worker:Replicas=0", "Worker:Replicas is '0'")]
    [InlineData("processes", "--Parameters:rabbitmq-password=p@ss#word", "Parameters:rabbitmq-password holds characters")]
    [InlineData("processes", "--Parameters:redis-password=a,b", "Parameters:redis-password holds characters")]
    [InlineData("containers", "--BackingServices:ContainerRegistry=mirror.example.com/Hub", "BackingServices:ContainerRegistry is 'mirror.example.com/Hub'")]
    [InlineData("containers", "--BackingServices:ContainerRegistry=https://mirror", "BackingServices:ContainerRegistry is 'https://mirror'")]
    [InlineData("containers", "--BackingServices:Postgres:ImageTag=-latest", "BackingServices:Postgres:ImageTag is '-latest'")]
    [InlineData("containers", "--BackingServices:RabbitMQ:ImageTag=4.3 management", "BackingServices:RabbitMQ:ImageTag is '4.3 management'")]
    public async Task A_setting_the_app_host_cannot_use_stops_it_with_a_message_naming_the_setting(string mode, string argument, string message)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                [$"--BackingServices:Mode={mode}", argument], cancellation.Token);
        });

        Assert.Contains(message, Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Containers_mode_takes_the_official_images_from_a_mirror_with_the_tags_it_is_told()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--BackingServices:Mode=containers", "--BackingServices:ContainerRegistry=mirror.example.com:5000/hub", "--BackingServices:Redis:ImageTag=8.6-alpine"],
            cancellation.Token);

        var images = new[] { "rabbitmq", "redis", "postgres" }.ToDictionary(name => name, name => Resource(builder, name).Annotations.OfType<ContainerImageAnnotation>().Single());
        Assert.All(images.Values, image => Assert.Equal("mirror.example.com:5000/hub", image.Registry));
        Assert.Equal(["library/rabbitmq", "library/redis", "library/postgres"], images.Values.Select(i => i.Image));
        Assert.Equal("8.6-alpine", images["redis"].Tag);
        Assert.NotEqual("8.6-alpine", images["postgres"].Tag);
    }

    [Fact]
    public async Task In_run_mode_redis_keeps_aspires_own_connection_string_which_carries_its_tls()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--BackingServices:Mode=containers"], cancellation.Token);

        var redis = Assert.IsType<RedisResource>(Resource(builder, "redis"));
        // Aspire's own string adds ",ssl=true" once the development certificate gives Redis TLS (RedisTlsTests runs it).
        Assert.Empty(redis.Annotations.OfType<ConnectionStringRedirectAnnotation>());
    }

    private static IResource Resource(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.Single(r => r.Name == name);

    private static void AssertWorkerReferencesAndWaitsForEachDependency(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var worker in builder.Resources.OfType<ProjectResource>().Where(r => r.Name.StartsWith("worker", StringComparison.Ordinal)))
        {
            var waits = worker.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ToList();
            var references = worker.Annotations.OfType<ResourceRelationshipAnnotation>()
                .Where(r => r.Type == "Reference").Select(r => r.Resource.Name).ToList();

            Assert.All(Dependencies, name => Assert.Contains(name, waits));
            Assert.All(Dependencies, name => Assert.Contains(name, references));
        }
    }

    private static string Flatten(Exception error) =>
        error is AggregateException aggregate ? string.Join(" | ", aggregate.Flatten().InnerExceptions.Select(Flatten))
        : error.InnerException is null ? error.Message
        : $"{error.Message} | {Flatten(error.InnerException)}";
}
