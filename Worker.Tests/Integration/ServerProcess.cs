using System.Diagnostics;

namespace Worker.Tests.Integration;

/// <summary>
/// Pauses a server and all its descendants with SIGSTOP, as a hung dependency: it keeps its sockets open and answers
/// nothing. (A server started as root runs under runuser, and PostgreSQL's backends are children of the postmaster.)
/// </summary>
public sealed class ServerProcess(int rootPid)
{
    public async Task PauseAsync() => await SignalAsync("STOP");

    public async Task ResumeAsync() => await SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        var pids = Descendants(rootPid).Prepend(rootPid).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start("kill", [$"-{signal}", .. pids]);
        await kill.WaitForExitAsync();
    }

    private static IEnumerable<int> Descendants(int pid)
    {
        var children = new List<int>();
        foreach (var stat in Directory.GetDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)).Select(d => Path.Combine(d, "stat")))
        {
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var text = File.ReadAllText(stat);
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == pid)
                {
                    children.Add(int.Parse(text[..text.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return children.Concat(children.SelectMany(Descendants)).ToList();
    }
}
