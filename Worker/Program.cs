using Worker.Clients;
using Worker.Commands;
using Worker.Health;
using Worker.Messaging;

var builder = WebApplication.CreateSlimBuilder(args);

if (WorkerCommandLine.Handles(args))
{
    return await WorkerCommandLine.InvokeAsync(args, builder.Configuration);
}

builder.AddServiceDefaults();
builder.AddBackingServiceClients();
builder.AddMessagePipeline();
builder.AddPipelineHealthChecks();

var app = builder.Build();

app.MapDefaultEndpoints();

await app.RunAsync();
return 0;
