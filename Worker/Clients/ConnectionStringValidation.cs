using Npgsql;
using StackExchange.Redis;

namespace Worker.Clients;

/// <summary>
/// Checks the three connection strings before anything uses them. The integrations would fail later, on first use
/// and with a message about their own settings; this fails at start and names the configuration key.
/// </summary>
public static class ConnectionStringValidation
{
    public static void Require(IConfiguration configuration)
    {
        var problems = new[]
            {
                Check(configuration, ConnectionNames.RabbitMQ, ValidateAmqp),
                Check(configuration, ConnectionNames.Redis, ValidateRedis),
                Check(configuration, ConnectionNames.Postgres, ValidatePostgres),
            }
            .OfType<string>()
            .ToList();

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }
    }

    private static string? Check(IConfiguration configuration, string name, Func<string, string?> validate)
    {
        var key = $"ConnectionStrings:{name}";
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{key} is missing. Run the worker from the AppHost, or set it (environment variable ConnectionStrings__{name}).";
        }

        var problem = validate(value);
        return problem is null ? null : $"{key} is malformed: {problem}";
    }

    private static string? ValidateAmqp(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme is "amqp" or "amqps") && uri.Host.Length > 0
            ? null
            : "expected a URI such as amqp://user:password@host:5672.";

    private static string? ValidateRedis(string value)
    {
        try
        {
            return ConfigurationOptions.Parse(value).EndPoints.Count > 0 ? null : "it names no host:port.";
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    private static string? ValidatePostgres(string value)
    {
        try
        {
            return string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(value).Host) ? "it names no Host." : null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}
