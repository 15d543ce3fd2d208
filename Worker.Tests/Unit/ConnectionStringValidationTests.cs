using Microsoft.Extensions.Configuration;
using Worker.Clients;

namespace Worker.Tests.Unit;

public sealed class ConnectionStringValidationTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["ConnectionStrings:rabbitmq"] = "amqp://worker:secret@localhost:5672",
        ["ConnectionStrings:redis"] = "localhost:6379,password=secret",
        ["ConnectionStrings:workerdb"] = "Host=localhost;Port=5432;Username=postgres;Password=secret;Database=workerdb",
    };

    [Fact]
    public void Valid_connection_strings_pass()
    {
        ConnectionStringValidation.Require(Configuration(Valid));
    }

    [Theory]
    [InlineData("ConnectionStrings:rabbitmq", null, "ConnectionStrings:rabbitmq is missing")]
    [InlineData("ConnectionStrings:redis", "", "ConnectionStrings:redis is missing")]
    [InlineData("ConnectionStrings:workerdb", null, "ConnectionStrings:workerdb is missing")]
    [InlineData("ConnectionStrings:rabbitmq", "http://localhost:5672", "ConnectionStrings:rabbitmq is malformed")]
    [InlineData("ConnectionStrings:redis", "localhost:6379,nosuchoption=1", "ConnectionStrings:redis is malformed")]
    [InlineData("ConnectionStrings:redis", ",password=secret", "ConnectionStrings:redis is malformed")]
    [InlineData("ConnectionStrings:workerdb", "Hots=localhost", "ConnectionStrings:workerdb is malformed")]
    [InlineData("ConnectionStrings:workerdb", "Database=workerdb", "ConnectionStrings:workerdb is malformed")]
    public void A_missing_or_malformed_connection_string_is_refused_naming_the_key(string key, string? value, string message)
    {
        var settings = new Dictionary<string, string?>(Valid) { [key] = value };

        var error = Assert.Throws<InvalidOperationException>(() => ConnectionStringValidation.Require(Configuration(settings)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
