using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Bench;

/// <summary>The baselines measured in the same run as the worker.</summary>
public static class Baselines
{
    /// <summary>P1's baseline: a bare Kestrel endpoint answering 204, on the same runtime.</summary>
    public static async Task<WebApplication> StartBareKestrelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => Microsoft.AspNetCore.Http.Results.StatusCode(204));
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// P2's naive baseline: Aspire's template mapping, where every request runs every health check of the same three
    /// client integrations against the same servers.
    /// </summary>
    public static async Task<WebApplication> StartNaiveHealthChecksAsync(IReadOnlyDictionary<string, string> connectionStrings)
    {
        var app = BuildWithClients(connectionStrings);
        ConnectClients(app);
        app.MapHealthChecks("/", new HealthCheckOptions
        {
            ResultStatusCodes = { [HealthStatus.Healthy] = 204, [HealthStatus.Degraded] = 204, [HealthStatus.Unhealthy] = 500 },
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// P3's baseline, the page's readiness design: Redis, then RabbitMQ, then Postgres, one after another, each bounded by
    /// 5 s, on every request. (The page itself bounds only the broker's ping and ignores its result; this is its design
    /// with the bounds the issue names, and a real round trip to the broker.)
    /// </summary>
    public static async Task<WebApplication> StartPageDesignAsync(IReadOnlyDictionary<string, string> connectionStrings)
    {
        var app = BuildWithClients(connectionStrings);
        ConnectClients(app);
        var checks = new Func<CancellationToken, Task>[]
        {
            async ct => await app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().PingAsync(),
            async ct => await (await app.Services.GetRequiredService<IConnection>().CreateChannelAsync(cancellationToken: ct)).DisposeAsync(),
            async ct =>
            {
                await using var command = app.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(ct);
            },
        };
        app.MapGet("/", async () =>
        {
            foreach (var check in checks)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    // WaitAsync bounds clients that ignore the token, as the page's 5 s timeout would.
                    await check(timeout.Token).WaitAsync(timeout.Token);
                }
                catch (Exception)
                {
                    return Microsoft.AspNetCore.Http.Results.StatusCode(500);
                }
            }

            return Microsoft.AspNetCore.Http.Results.StatusCode(204);
        });
        await app.StartAsync();
        return app;
    }

    public static Uri Address(WebApplication app) => new(app.Urls.First());

    /// <summary>
    /// Aspire's Redis and RabbitMQ clients connect synchronously when first resolved. Left to the first requests of a
    /// 32-connection load, that blocks thread-pool threads until the mapping stalls outright; the worker connects
    /// before it serves, so the baselines do too.
    /// </summary>
    private static void ConnectClients(WebApplication app)
    {
        app.Services.GetRequiredService<IConnectionMultiplexer>();
        app.Services.GetRequiredService<IConnection>();
    }

    private static WebApplication BuildWithClients(IReadOnlyDictionary<string, string> connectionStrings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        foreach (var (name, value) in connectionStrings)
        {
            builder.Configuration[$"ConnectionStrings:{name}"] = value;
        }

        builder.AddRabbitMQClient("rabbitmq");
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDataSource("workerdb");
        return builder.Build();
    }
}
