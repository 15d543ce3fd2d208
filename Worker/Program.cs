using Worker.BackingServices;
using Worker.Commands;
using Worker.Messaging;

if (args is [WorkerCommands.Publish, ..])
{
    return await WorkerCommands.PublishAsync(args[1..]);
}

var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddBackingServiceClients();
builder.AddMessagePipeline();

var app = builder.Build();

app.MapDefaultEndpoints();

await app.RunAsync();
return 0;
