using System.Diagnostics;
using Worker.Tests.Support;

namespace Worker.Tests.FileSystem;

/// <summary>
/// eng/check-leftovers.sh, which ends every test run, catches a port mapper that an Erlang VM of the app's broker
/// started (`epmd -daemon`, on every interface), not only the one the app starts with its loopback address.
/// </summary>
public sealed class LeftoverCheckTests
{
    [Fact]
    public async Task A_port_mapper_started_from_the_brokers_environment_fails_the_check()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        // As the broker's VMs start one: no address, the run directory's environment.
        using var epmd = Process.Start(new ProcessStartInfo("epmd", ["-port", $"{port}"])
        {
            Environment = { ["HOME"] = Path.Combine(Path.GetTempPath(), "worker-apphost", "0-test", "rabbitmq") },
        })!;
        try
        {
            var check = await ProcessRunner.RunAsync("bash", ["eng/check-leftovers.sh"], TimeSpan.FromSeconds(30),
                new Dictionary<string, string?> { ["CHECK_LEFTOVERS_SECONDS"] = "1" });

            Assert.Equal(1, check.ExitCode);
            Assert.Contains($"{epmd.Id} epmd -port {port}", check.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            epmd.Kill();
            await epmd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
