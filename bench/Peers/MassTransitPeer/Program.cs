using MassTransit;
using MassTransitPeer;
using Npgsql;
using PeerCommon;

var builder = WebApplication.CreateBuilder(args);
var (peer, database, broker) = PeerOptions.Read(builder.Configuration);
builder.Services.AddPeer(peer).AddNpgsqlDataSource(database);
// MassTransit adds its bus health check itself, tagged "ready"; Npgsql's check joins it there.
builder.Services.AddHealthChecks().AddNpgSql(database, tags: ["ready"]);
builder.Services.AddMassTransit(bus =>
{
    bus.AddConsumer<SampleMessageConsumer>();
    bus.UsingRabbitMq((context, rabbit) =>
    {
        var credentials = broker.UserInfo.Split(':', 2);
        rabbit.Host(broker.Host, (ushort)broker.Port, "/", host =>
        {
            host.Username(Uri.UnescapeDataString(credentials[0]));
            host.Password(Uri.UnescapeDataString(credentials[1]));
        });
        // A queue that other systems publish raw JSON to (MassTransit's "integrating with other systems").
        rabbit.ReceiveEndpoint(peer.Queue, endpoint =>
        {
            endpoint.ConfigureConsumeTopology = false;
            endpoint.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
            endpoint.PrefetchCount = peer.Prefetch;
            // MassTransit runs as many consumers at once as it prefetches; no more than the pool has connections.
            endpoint.ConcurrentMessageLimit = new NpgsqlConnectionStringBuilder(database).MaxPoolSize;
            if (peer.IsQuorum)
            {
                endpoint.SetQuorumQueue();
            }

            // The documented retry: a few intervals, none for a message that no retry can fix; then <queue>_error.
            endpoint.UseMessageRetry(retry =>
            {
                retry.Intervals(100, 500, 1000, 5000);
                retry.Ignore<InvalidMessageException>();
                retry.Ignore<PostgresException>(ex => ex.SqlState.StartsWith("22", StringComparison.Ordinal)); // a value PostgreSQL refuses
            });
            endpoint.ConfigureConsumer<SampleMessageConsumer>(context);
        });
    });
});

var app = builder.Build();
app.MapFrameworkProbes();
await app.RunAsync();
