using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AppHost.BackingServices.Local;

/// <summary>
/// The account a local server runs as. PostgreSQL refuses to run as root, so when the AppHost is root the servers
/// run as their package's system user through runuser; otherwise they run as the current user.
/// </summary>
internal sealed class ServiceUser
{
    // Looked up once: every config file of the server is given to the same ids.
    private readonly Lazy<(uint User, uint Group)> _ids;

    private ServiceUser(string? name)
    {
        Name = name;
        _ids = new(() => (Id("-u", name!), Id("-g", name!)));
    }

    /// <summary>The system user to switch to, or null to run as the current user.</summary>
    public string? Name { get; }

    /// <summary>Whether the servers run as their packages' users: when the AppHost runs as root.</summary>
    public static bool SwitchesUser => Environment.UserName == "root";

    public static ServiceUser For(string systemUser) =>
        new(SwitchesUser ? systemUser : null);

    /// <summary>The command that starts <paramref name="binary"/> as this user.</summary>
    public string Command(string binary) => Name is null ? binary : "runuser";

    /// <summary>The arguments that go before the binary's own arguments.</summary>
    public IEnumerable<string> PrefixArgs(string binary) => Name is null ? [] : ["-u", Name, "--", binary];

    public void Own(string path)
    {
        if (Name is not null)
        {
            Output("chown", ["-R", $"{Name}:{Name}", path]);
        }
    }

    /// <summary>Gives an open file to this user: fchown, which no link planted at its path can redirect.</summary>
    public void Own(SafeFileHandle file)
    {
        if (Name is null)
        {
            return;
        }

        if (fchown(file, _ids.Value.User, _ids.Value.Group) != 0)
        {
            throw new InvalidOperationException($"Could not give a file to {Name}: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    private static uint Id(string which, string name) =>
        uint.Parse(Output("id", [which, name]).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs a short set-up command as this user and fails with its output when it fails.</summary>
    public void Run(string binary, IEnumerable<string> args) =>
        Output(Command(binary), [.. PrefixArgs(binary), .. args]);

    private static string Output(string command, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"Could not start {command}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{command} {string.Join(' ', args)}' failed with exit code {process.ExitCode}: {error}{output.Result}");
        }

        return output.Result;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fchown(SafeFileHandle fd, uint owner, uint group);
}
