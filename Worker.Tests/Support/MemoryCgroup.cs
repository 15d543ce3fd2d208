using System.Globalization;

namespace Worker.Tests.Support;

/// <summary>
/// A memory cgroup with a hard limit, as a pod's container has, that a running process is moved into: v2 where the
/// machine mounts the unified hierarchy, v1's memory controller otherwise. It needs root. Disposing moves the processes
/// back to the group the process came from and removes it.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly string _parent;
    private readonly string _path;
    private readonly bool _unified;

    private readonly long _limit;
    private string? _origin;

    private MemoryCgroup(string parent, string name, bool unified, long limit) =>
        (_parent, _path, _unified, _limit) = (parent, Path.Combine(parent, name), unified, limit);

    public static MemoryCgroup Create(string name, long limitBytes)
    {
        var unified = File.Exists(Path.Combine(Root, "cgroup.controllers"));
        var group = new MemoryCgroup(unified ? Root : Path.Combine(Root, "memory"), name, unified, limitBytes);
        if (unified)
        {
            File.AppendAllText(Path.Combine(Root, "cgroup.subtree_control"), "+memory");
        }

        Directory.CreateDirectory(group._path);
        return group;
    }

    /// <summary>
    /// Moves a process in. Neither hierarchy moves the memory it already holds along with it (v1's
    /// move_charge_at_immigrate is gone from current kernels), so the limit is lowered by its resident set: what it
    /// holds and what it takes from now on stay within the limit together.
    /// </summary>
    public void Add(int processId)
    {
        ResidentAtEntryBytes = ResidentBytes(processId);
        var limit = (_limit - ResidentAtEntryBytes).ToString(CultureInfo.InvariantCulture);
        if (_unified)
        {
            Write("memory.max", limit);
            Write("memory.swap.max", "0");
        }
        else
        {
            Write("memory.limit_in_bytes", limit);
            // Memory and swap together, where the kernel accounts swap: a process must not swap instead of being killed.
            if (File.Exists(Path.Combine(_path, "memory.memsw.limit_in_bytes")))
            {
                Write("memory.memsw.limit_in_bytes", limit);
            }
        }

        _origin = Path.Combine(_unified ? Root : Path.Combine(Root, "memory"), CurrentGroup(processId).TrimStart('/'));
        Write("cgroup.procs", processId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>What the process held when it came in (charged to the group it came from).</summary>
    public long ResidentAtEntryBytes { get; private set; }

    /// <summary>Processes the kernel killed for want of memory in this group.</summary>
    public long OomKills => Field(_unified ? "memory.events" : "memory.oom_control", "oom_kill");

    /// <summary>The most memory the group was charged at once.</summary>
    public long ChargedPeakBytes => long.Parse(File.ReadAllText(Path.Combine(_path, _unified ? "memory.peak" : "memory.max_usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var process in File.ReadAllLines(Path.Combine(_path, "cgroup.procs")))
        {
            File.WriteAllText(Path.Combine(_origin ?? _parent, "cgroup.procs"), process);
        }

        Directory.Delete(_path);
    }

    private static long ResidentBytes(int processId) =>
        File.ReadAllLines($"/proc/{processId}/status").Where(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).Single();

    // /proc/<pid>/cgroup: "0::/path" under v2, "<id>:memory:/path" under v1.
    private string CurrentGroup(int processId) =>
        File.ReadAllLines($"/proc/{processId}/cgroup").Select(line => line.Split(':', 3))
            .First(parts => _unified ? parts[0] == "0" : parts[1].Split(',').Contains("memory"))[2];

    private void Write(string file, string value) => File.WriteAllText(Path.Combine(_path, file), value);

    private long Field(string file, string name) =>
        File.ReadAllLines(Path.Combine(_path, file)).Select(line => line.Split(' ')).Where(parts => parts[0] == name)
            .Select(parts => long.Parse(parts[1], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Single();
}
