using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AppHost.BackingServices.Local;

/// <summary>
/// A directory per AppHost run for the servers' data, config and sockets, private to the user who runs the AppHost.
/// Its name starts with the AppHost's process id, so a later run can sweep the directories of runs that are gone, even
/// ones that were killed. The shared root under $TMPDIR is refused if anyone else owns it or it is a link: another
/// local user could otherwise read the servers' passwords or plant their data.
/// </summary>
internal sealed class RunDirectory
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "worker-apphost");

    // One per app: tests build several apps in one process, and each needs servers of its own.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IDistributedApplicationBuilder, RunDirectory> PerApp = new();
    private static int _apps;

    private RunDirectory(string path) => FullPath = path;

    /// <summary>The local servers are the distribution's packages, with Unix file modes; nothing else runs them.</summary>
    public static PlatformNotSupportedException NotOnWindows() =>
        new("Local servers run on Linux only; on Windows, use BackingServices:Mode=containers.");

    /// <summary>This app's directory, created on first use.</summary>
    public static RunDirectory Of(IDistributedApplicationBuilder builder) => PerApp.GetValue(builder, _ => CreateForThisProcess());

    public string FullPath { get; }

    private static RunDirectory CreateForThisProcess()
    {
        var mode = PrivateMode();
        CreatePrivate(Root, mode);
        SweepRunsThatAreGone();
        var path = Path.Combine(Root, $"{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}-{Interlocked.Increment(ref _apps)}");
        CreatePrivate(path, mode);
        return new RunDirectory(path);
    }

    /// <summary>A sub-directory for one server, owned by the user that server runs as, and by nobody else.</summary>
    public string ServerDirectory(string name, ServiceUser user)
    {
        if (OperatingSystem.IsWindows())
        {
            throw NotOnWindows();
        }

        var path = Path.Combine(FullPath, name);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        user.Own(path);
        return path;
    }

    // 0700; 0711 when the servers run as their packages' users (the AppHost is root), who must pass through to their
    // own directories, without being able to list or write anything here.
    private static UnixFileMode PrivateMode() =>
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | (ServiceUser.SwitchesUser ? UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : UnixFileMode.None);

    private static void CreatePrivate(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw NotOnWindows();
        }

        Directory.CreateDirectory(path, mode);
        var (owner, isLink) = Stat(path);
        if (isLink || owner != geteuid())
        {
            throw new InvalidOperationException(
                $"{path} belongs to another user (uid {owner}) or is a link; the local servers keep their passwords there. " +
                "Remove it, or set TMPDIR to a directory of your own.");
        }

        File.SetUnixFileMode(path, mode);
    }

    private static (uint Owner, bool IsLink) Stat(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u %F", path]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("Could not run stat.");
        var output = stat.StandardOutput.ReadToEnd().Trim().Split(' ', 2);
        stat.WaitForExit();
        return (uint.Parse(output[0], System.Globalization.CultureInfo.InvariantCulture), output[1].Contains("link", StringComparison.Ordinal));
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
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A server of that run may still be shutting down; the next run sweeps it.
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

    [DllImport("libc")]
    private static extern uint geteuid();
}
