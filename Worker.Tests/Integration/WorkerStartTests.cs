using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>The worker process itself, started without the AppHost, refuses bad connection strings at once.</summary>
public sealed class WorkerStartTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_missing_connection_string_stops_the_start_with_a_message_naming_the_key()
    {
        var result = await StartWorkerAsync(new()
        {
            ["ConnectionStrings__rabbitmq"] = "amqp://worker:secret@localhost:5672",
            ["ConnectionStrings__redis"] = "localhost:6379",
        });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("ConnectionStrings:workerdb is missing", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_connection_string_stops_the_start_with_a_message_naming_the_key()
    {
        var result = await StartWorkerAsync(new()
        {
            ["ConnectionStrings__rabbitmq"] = "localhost:5672",
            ["ConnectionStrings__redis"] = "localhost:6379",
            ["ConnectionStrings__workerdb"] = "Host=localhost;Database=workerdb",
        });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("ConnectionStrings:rabbitmq is malformed", result.Output, StringComparison.Ordinal);
    }

    private static Task<ProcessRunner.Result> StartWorkerAsync(Dictionary<string, string?> environment)
    {
        environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        return ProcessRunner.RunAsync("dotnet", [RepositoryPaths.WorkerAssembly], ExitTimeout, environment);
    }
}
