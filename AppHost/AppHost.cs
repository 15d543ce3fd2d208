using AppHost;
using AppHost.BackingServices;

var builder = DistributedApplication.CreateBuilder(args);

var backingServices = builder.AddBackingServices();

var rabbitmq = backingServices.AddRabbitMQ("rabbitmq");
var redis = backingServices.AddRedis("redis");
var database = backingServices.AddPostgresDatabase("postgres", "workerdb");

builder.AddProject<Projects.Worker>("worker")
    .WithProbeEndpoint(port: 8000)
    .WithReference(rabbitmq).WaitFor(rabbitmq)
    .WithReference(redis).WaitFor(redis)
    .WithReference(database).WaitFor(database);

builder.Build().Run();
