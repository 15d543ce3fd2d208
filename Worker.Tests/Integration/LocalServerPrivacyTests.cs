using System.Diagnostics;
using Aspire.Hosting.Testing;
using Npgsql;
using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// The local servers (processes mode) keep to their users: private directories and secret files, loopback-only
/// listeners, and a worker that is not a superuser of the database or the broker.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class LocalServerPrivacyTests(AppFixture fixture)
{
    [Fact]
    public async Task The_run_directory_and_each_servers_directory_are_private_and_secrets_are_owner_only()
    {
        var config = ProcessTree.Environment(LocalBroker.BeamProcess(fixture.ProcessId("rabbitmq")))["RABBITMQ_CONFIG_FILE"];
        var run = Path.GetDirectoryName(Path.GetDirectoryName(config))!;

        var (runOwner, runMode) = await StatAsync(run);
        Assert.Equal(Environment.UserName, runOwner);
        Assert.Contains(runMode, new[] { "700", "711" });
        foreach (var (server, user) in new[] { ("rabbitmq", "rabbitmq"), ("redis", "redis"), ("postgres", "postgres") })
        {
            var (owner, mode) = await StatAsync(Path.Combine(run, server));
            Assert.Equal(Environment.UserName == "root" ? user : Environment.UserName, owner);
            Assert.Equal("700", mode);
        }

        foreach (var secret in new[] { Path.Combine(run, "rabbitmq", "rabbitmq.conf"), Path.Combine(run, "redis", "redis.conf") })
        {
            Assert.Equal("600", (await StatAsync(secret)).Mode);
        }
    }

    [Fact]
    public async Task The_broker_listens_on_loopback_only_its_erlang_distribution_included()
    {
        var beam = LocalBroker.BeamProcess(fixture.ProcessId("rabbitmq"));

        var listeners = (await RunAsync("ss", "-Hltnp")).Split('\n').Where(line => line.Contains($"pid={beam},", StringComparison.Ordinal)).ToList();

        Assert.True(listeners.Count >= 2, $"Expected the AMQP and distribution listeners of pid {beam}: {string.Join(" | ", listeners)}");
        Assert.All(listeners, line => Assert.Contains("127.0.0.1:", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_erlang_vm_of_the_broker_starts_a_port_mapper_of_its_own_even_where_none_answers()
    {
        var beam = LocalBroker.BeamProcess(fixture.ProcessId("rabbitmq"));
        var ours = ProcessTree.Environment(beam)["ERL_EPMD_PORT"];
        var nowhere = FreePort();

        // What the broker's epmd monitor does every minute (an `erl -sname` that starts `epmd -daemon` where no port
        // mapper answers), run in the broker itself against a port where none does, as while the app's is gone.
        await LocalBroker.CtlAsync(beam, "eval",
            $"os:putenv(\"ERL_EPMD_PORT\", \"{nowhere}\"), try rabbit_nodes:ensure_epmd() after os:putenv(\"ERL_EPMD_PORT\", \"{ours}\") end.");

        var mappers = (await RunAsync("pgrep", "-ax", "epmd")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var strays = mappers.Where(line => !line.EndsWith($"epmd -address 127.0.0.1 -port {ours}", StringComparison.Ordinal)
            && ProcessTree.Environment(int.Parse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).Values.Any(v => v.Contains("worker-apphost/", StringComparison.Ordinal))).ToList();
        foreach (var stray in strays)
        {
            await RunAsync("kill", stray.Split(' ')[0]);
        }

        Assert.True(strays.Count == 0, $"The broker started port mappers of its own: {string.Join(" | ", strays)}");
        Assert.DoesNotContain($":{nowhere} ", await RunAsync("ss", "-Hltn"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_is_no_superuser_of_the_database_nor_an_administrator_of_the_broker()
    {
        await using var connection = new NpgsqlConnection(await fixture.App.GetConnectionStringAsync("workerdb") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user", connection);
        Assert.False((bool)(await command.ExecuteScalarAsync())!);

        var users = await fixture.BrokerCtlAsync("list_users");
        var worker = users.Split('\n').Single(line => line.StartsWith("worker", StringComparison.Ordinal));
        Assert.Equal("worker\t[]", worker.Trim());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(string Owner, string Mode)> StatAsync(string path)
    {
        var output = (await RunAsync("stat", "-c", "%U %a", path)).Trim().Split(' ');
        return (output[0], output[1]);
    }

    private static async Task<string> RunAsync(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return output;
    }
}
