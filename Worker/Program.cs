using Worker.BackingServices;

var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddBackingServiceClients();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
