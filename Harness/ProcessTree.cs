using System.Diagnostics;
using System.Globalization;

namespace Harness;

/// <summary>
/// Processes read from /proc: a process's descendants and name, its peak memory, and freezing a server's whole tree
/// as a hung dependency (SIGSTOP keeps its sockets open and answers nothing)..
/// </summary>
public static class ProcessTree
{
    /// <summary>
    /// Freezes every process of the tree but the `runuser` wrapper a server runs under as root. runuser (like su) stops
    /// itself when its child stops and resumes the child when it is itself resumed; stopped by us too, it would stop
    /// itself again after our SIGCONT and never forward the orchestrator's SIGTERM.
    /// </summary>
    public static Task PauseAsync(int rootPid) => SignalAsync("STOP", Tree(Checked(rootPid)).Where(pid => Name(pid) != "runuser"));

    /// <summary>Resumes the servers, then the wrapper, which had stopped itself.</summary>
    public static Task ResumeAsync(int rootPid) => SignalAsync("CONT", Enumerable.Reverse(Tree(Checked(rootPid))));

    /// <summary>Kills the servers of the tree as a crash would (SIGKILL); the runuser wrapper then exits by itself.</summary>
    public static Task KillAsync(int rootPid) => SignalAsync("KILL", Tree(Checked(rootPid)).Where(pid => Name(pid) != "runuser"));

    public static Task SignalAsync(int pid, string signal) => SignalAsync(signal, [Checked(pid)]);

    // kill(0) signals the caller's process group and kill(-1) every process it may: never from an unknown pid.
    private static int Checked(int pid) =>
        pid > 1 ? pid : throw new ArgumentOutOfRangeException(nameof(pid), pid, "Refusing to signal a process list derived from pid 0, 1 or an unknown pid.");

    public static IEnumerable<int> Descendants(int pid)
    {
        var children = Directory.GetDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
            .Where(child => ParentOf(child) == pid)
            .ToList();
        return children.Concat(children.SelectMany(Descendants)).ToList();
    }

    public static string Name(int pid) => Read($"/proc/{pid}/comm")?.Trim() ?? "";

    /// <summary>A process's environment as it was started (empty when the process is gone).</summary>
    public static Dictionary<string, string> Environment(int pid) =>
        (Read($"/proc/{pid}/environ") ?? "").Split('\0')
            .Select(v => v.Split('=', 2)).Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);

    /// <summary>Peak resident memory (VmHWM) in MB.</summary>
    public static double PeakRssMb(int pid) =>
        Read($"/proc/{pid}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
            ? double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024
            : double.NaN;

    /// <summary>CPU time (user and system) used so far by a process and its descendants, in seconds.</summary>
    public static double CpuSeconds(int rootPid) => Tree(rootPid).Sum(pid =>
    {
        var stat = Read($"/proc/{pid}/stat");
        if (stat is null)
        {
            return 0;
        }

        // utime and stime, the 14th and 15th fields, in clock ticks (100 a second on Linux).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    });

    private static List<int> Tree(int rootPid) => Descendants(rootPid).Prepend(rootPid).ToList();

    private static async Task SignalAsync(string signal, IEnumerable<int> pids)
    {
        using var kill = Process.Start("kill", [$"-{signal}", .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))])!;
        await kill.WaitForExitAsync();
    }

    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    private static int ParentOf(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        return stat is null ? -1 : int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            // The process ended while we looked.
            return null;
        }
    }
}
