using Npgsql;
using Worker.Clients;
using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>
/// The worker's pooled connections point at a database that now refuses writes (25006), as after its primary was
/// demoted, while a new connection would reach one that takes them, as the promoted standby does. Here one server
/// plays both: its configuration turns every session read-only, and a setting of the worker's own database turns the
/// new ones writable again.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class ReadOnlyDatabaseTests(AppFixture fixture)
{
    private readonly Backends _server = new(fixture.App);

    [Fact]
    public async Task Pooled_connections_to_a_database_that_refuses_writes_are_dropped_and_every_message_is_stored_on_new_ones()
    {
        var name = $"readonly_{Guid.NewGuid():N}";
        var database = await _server.CreateDatabaseAsync(name);
        var store = new Backends(fixture.App, database);
        var prefix = $"w{Guid.NewGuid():N}";
        await using var worker = await InProcessWorker.StartAsync(fixture, new Dictionary<string, string?> { [$"ConnectionStrings:{ConnectionNames.Postgres}"] = database });
        await worker.PublishAsync([.. Enumerable.Range(0, 50).Select(i => SampleMessages.Valid($"{prefix}-{i}"))]);
        await store.WaitForRowsAsync(prefix, 50);

        await AdminAsync($"ALTER DATABASE \"{name}\" SET default_transaction_read_only = off", "ALTER SYSTEM SET default_transaction_read_only = on", "SELECT pg_reload_conf()");
        try
        {
            await worker.PublishAsync([.. Enumerable.Range(50, 50).Select(i => SampleMessages.Valid($"{prefix}-{i}"))]);
            await store.WaitForRowsAsync(prefix, 100);
        }
        finally
        {
            await AdminAsync("ALTER SYSTEM RESET default_transaction_read_only", "SELECT pg_reload_conf()");
        }

        Assert.Contains(worker.Logs, line => line.Contains("The database refuses writes (25006", StringComparison.Ordinal));
    }

    private async Task AdminAsync(params string[] statements)
    {
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        // This session may be read-only itself by now; ALTER SYSTEM writes a file, not the database.
        foreach (var sql in statements.Prepend("SET default_transaction_read_only = off"))
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
