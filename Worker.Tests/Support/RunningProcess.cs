using System.Diagnostics;

namespace Worker.Tests.Support;

/// <summary>A process that runs while a test needs it, and is killed with its children when the test ends.</summary>
public sealed class RunningProcess : IDisposable
{
    private readonly Process _process;

    public RunningProcess(string command, IEnumerable<string> args, IDictionary<string, string?> environment)
    {
        var startInfo = new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        _process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command}.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
