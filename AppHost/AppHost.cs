using AppHost;
using AppHost.BackingServices;

var builder = DistributedApplication.CreateBuilder(args);

var backingServices = builder.AddBackingServices();

var rabbitmq = backingServices.AddRabbitMQ("rabbitmq");
var redis = backingServices.AddRedis("redis");
var database = backingServices.AddPostgresDatabase("postgres", "workerdb");

builder.AddProject<Projects.Worker>("worker")
    .WithProbeEndpoint(port: 8000)
    .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithReference(redis).WaitFor(redis)
    .WithReference(database).WaitFor(database);

builder.AddProject<Projects.Worker>("publisher")
    .WithArgs("publish", "--count", "1000", "--rate", "200", "--duplicates", "0.1", "--malformed", "0.05")
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithExplicitStart()
    .ExcludeFromManifest();

builder.Build().Run();
