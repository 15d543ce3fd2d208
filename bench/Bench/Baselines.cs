using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
        var app = builder.Build();
        app.MapHealthChecks("/", new HealthCheckOptions
        {
            ResultStatusCodes = { [HealthStatus.Healthy] = 204, [HealthStatus.Degraded] = 204, [HealthStatus.Unhealthy] = 500 },
        });
        await app.StartAsync();
        return app;
    }

    public static Uri Address(WebApplication app) => new(app.Urls.First());
}
