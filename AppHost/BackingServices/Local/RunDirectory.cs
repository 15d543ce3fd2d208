using System.Diagnostics;

namespace AppHost.BackingServices.Local;

/// <summary>
/// A directory per AppHost run for the servers' data, config and sockets. Its name carries the AppHost's process id,
/// so a later run can sweep the directories of runs that are gone, even ones that were killed.
/// </summary>
public sealed class RunDirectory
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "worker-apphost");

    private RunDirectory(string path) => FullPath = path;

    public string FullPath { get; }

    public static RunDirectory CreateForThisProcess()
    {
        Directory.CreateDirectory(Root);
        SweepRunsThatAreGone();
        var path = Path.Combine(Root, $"{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}");
        Directory.CreateDirectory(path);
        return new RunDirectory(path);
    }

    /// <summary>A sub-directory for one server, owned by the user that server runs as.</summary>
    public string For(string name, ServiceUser user)
    {
        var path = Path.Combine(FullPath, name);
        Directory.CreateDirectory(path);
        user.Own(path);
        return path;
    }

    private static void SweepRunsThatAreGone()
    {
        foreach (var dir in Directory.GetDirectories(Root))
        {
            var name = Path.GetFileName(dir);
            if (int.TryParse(name.Split('-')[0], out var pid) && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // A server of that run may still be shutting down; the next run sweeps it.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
