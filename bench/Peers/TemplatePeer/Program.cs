using PeerCommon;
using TemplatePeer;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// The client integrations add their own health checks (the broker's connection, a query to PostgreSQL) to /health.
builder.AddRabbitMQClient("rabbitmq");
builder.AddNpgsqlDataSource("workerdb");
builder.Services.AddPlainConsumer(PeerOptions.From(builder.Configuration));

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
