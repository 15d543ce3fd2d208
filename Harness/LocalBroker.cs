using System.Diagnostics;

namespace Harness;

/// <summary>
/// rabbitmqctl against the broker the AppHost runs as a local process, as its own node: the node name, the cookie's
/// home and the port mapper come from the broker process's environment.
/// </summary>
public static class LocalBroker
{
    private const string RabbitMQCtl = "/usr/lib/rabbitmq/bin/rabbitmqctl";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>The broker's Erlang process under the resource's process, or 0 when it runs in a container.</summary>
    public static int BeamProcess(int resourceProcessId) =>
        resourceProcessId <= 1 || !File.Exists(RabbitMQCtl)
            ? 0
            : ProcessTree.Descendants(resourceProcessId).FirstOrDefault(pid => ProcessTree.Name(pid) == "beam.smp");

    /// <summary>Runs rabbitmqctl with <paramref name="args"/> and returns its output; throws with its error when it fails.</summary>
    public static async Task<string> CtlAsync(int beamProcess, params string[] args)
    {
        var environment = ProcessTree.Environment(beamProcess);
        var start = new ProcessStartInfo(RabbitMQCtl, ["-q", "-n", environment["RABBITMQ_NODENAME"], .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // rabbitmqctl is an Erlang VM too: like the broker's own, it must not start a port mapper where none answers.
            Environment = { ["HOME"] = environment["HOME"], ["ERL_EPMD_PORT"] = environment["ERL_EPMD_PORT"], ["ERL_ZFLAGS"] = "-start_epmd false" },
        };
        using var ctl = Process.Start(start)!;
        var output = ctl.StandardOutput.ReadToEndAsync();
        var error = ctl.StandardError.ReadToEndAsync();
        await ctl.WaitForExitAsync().WaitAsync(Bound);
        return ctl.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed ({ctl.ExitCode}): {await error}");
    }
}
