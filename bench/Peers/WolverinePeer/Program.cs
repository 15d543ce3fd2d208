using Npgsql;
using PeerCommon;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.RabbitMQ;
using Wolverine.RabbitMQ.Internal;
using WolverinePeer;

var builder = WebApplication.CreateBuilder(args);
var (peer, database, broker) = PeerOptions.Read(builder.Configuration);
builder.Services.AddPeer(peer).AddNpgsqlDataSource(database);
builder.Services.AddHealthChecks()
    .AddCheck<ListenersHealthCheck>("wolverine-listeners", tags: ["ready"])
    .AddNpgSql(database, tags: ["ready"]);
builder.Host.UseWolverine(options =>
{
    // Handlers are compiled at start, Wolverine's default (TypeLoadMode.Dynamic), which needs its Roslyn package.
    options.UseRuntimeCompilation();
    options.UseRabbitMq(broker).AutoProvision();
    // A queue that other systems publish raw JSON to: no message-type header, so the type is given.
    options.ListenToRabbitQueue(peer.Queue, queue => queue.QueueType = peer.IsQuorum ? QueueType.quorum : QueueType.classic)
        .PreFetchCount((ushort)peer.Prefetch)
        .DefaultIncomingMessage<SampleMessage>();
    // The documented error handling: no retry for what no retry can fix, a few cooldowns for the database, then the
    // dead-letter queue.
    options.Policies.OnException<InvalidMessageException>().MoveToErrorQueue();
    options.Policies.OnException<PostgresException>(ex => ex.SqlState.StartsWith("22", StringComparison.Ordinal)).MoveToErrorQueue(); // a value PostgreSQL refuses
    options.Policies.OnException<NpgsqlException>()
        .RetryWithCooldown(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5))
        .Then.MoveToErrorQueue();
});

var app = builder.Build();
app.MapFrameworkProbes();
await app.RunAsync();
