using AppHost;
using AppHost.BackingServices;

var builder = DistributedApplication.CreateBuilder(args);

var backingServices = builder.AddBackingServices();

var rabbitmq = backingServices.AddRabbitMQ("rabbitmq");
var redis = backingServices.AddRedis("redis");
var database = backingServices.AddPostgresDatabase("postgres", "workerdb");

foreach (var (name, probePort) in WorkerReplicas.All(builder))
{
    builder.AddProject<Projects.Worker>(name)
        .WithProbes(probePort)
        .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithBrokerEndpoints(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithReference(database).WaitFor(database);
}

builder.AddProject<Projects.Worker>("publisher")
    .WithArgs("publish", "--count", "1000", "--rate", "200", "--duplicates", "0.1", "--malformed", "0.05")
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithExplicitStart()
    .ExcludeFromManifest();

builder.Build().Run();
