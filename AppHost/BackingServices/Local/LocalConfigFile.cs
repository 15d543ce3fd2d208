namespace AppHost.BackingServices.Local;

/// <summary>Writes a server's config file readable by that server's user alone, since it carries a password.</summary>
internal static class LocalConfigFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task WriteAsync(string path, ServiceUser user, IEnumerable<string> lines, CancellationToken ct)
    {
        if (OperatingSystem.IsWindows())
        {
            throw RunDirectory.NotOnWindows();
        }

        // Created at 0600, so that no one else can read it at any moment, not even between writing and chmod.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
        await using (var file = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
        {
            foreach (var line in lines)
            {
                await file.WriteLineAsync(line.AsMemory(), ct).ConfigureAwait(false);
            }
        }

        File.SetUnixFileMode(path, OwnerOnly);
        user.Own(path);
    }
}
