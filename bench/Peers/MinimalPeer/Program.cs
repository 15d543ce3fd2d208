using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using PeerCommon;
using RabbitMQ.Client;

var builder = Host.CreateApplicationBuilder(args);
var (peer, database, broker) = PeerOptions.Read(builder.Configuration);
var factory = new ConnectionFactory { Uri = broker };
await using var connection = await factory.CreateConnectionAsync();
builder.Services.AddSingleton(connection);
builder.Services.AddSingleton(NpgsqlDataSource.Create(database));
builder.Services.AddPlainConsumer(peer);
await builder.Build().RunAsync();
