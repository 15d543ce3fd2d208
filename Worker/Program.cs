using Worker.Clients;
using Worker.Commands;
using Worker.Health;
using Worker.Messaging;

var builder = WebApplication.CreateSlimBuilder(args);

switch (args)
{
    case [WorkerCommands.Publish, .. var publish]:
        return await WorkerCommands.PublishAsync(publish);
    case [HealthCheckCommand.Name, .. var probe]:
        return await HealthCheckCommand.RunAsync(probe, builder.Configuration);
}

builder.AddServiceDefaults();
builder.AddBackingServiceClients();
builder.AddMessagePipeline();
builder.AddPipelineHealthChecks();

var app = builder.Build();

app.MapDefaultEndpoints();

await app.RunAsync();
return 0;
