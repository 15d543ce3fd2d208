namespace AppHost.BackingServices.Local;

/// <summary>Writes a server's config file readable by that server's user alone, since it carries a password.</summary>
public static class LocalConfigFile
{
    public static async Task WriteAsync(string path, ServiceUser user, IEnumerable<string> lines, CancellationToken ct)
    {
        await File.WriteAllLinesAsync(path, lines, ct).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        user.Own(path);
    }
}
