namespace AppHost.BackingServices.Local;

/// <summary>
/// Writes a server's config file readable by that server's user alone, since it carries a password. The directory
/// belongs to that user, who could plant a link at the file's path: the AppHost, often root, must then neither write,
/// chmod nor chown whatever the link points at. So the path is unlinked and created anew (O_EXCL, which never follows
/// a link), and its mode and owner are set on the open file, never by path.
/// </summary>
internal static class LocalConfigFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task WriteAsync(string path, ServiceUser user, IEnumerable<string> lines, CancellationToken ct)
    {
        if (OperatingSystem.IsWindows())
        {
            throw RunDirectory.NotOnWindows();
        }

        File.Delete(path);
        FileStream stream;
        try
        {
            // Created at 0600, so that no one else can read it at any moment, not even before the mode below.
            stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
        }
        catch (IOException ex) when (Path.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            throw new InvalidOperationException(
                $"{path} was created again by someone else while the AppHost wrote it; it holds a server's password, so it is not written through.", ex);
        }

        await using (stream)
        {
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
            user.Own(stream.SafeFileHandle);
            await using var file = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            foreach (var line in lines)
            {
                await file.WriteLineAsync(line.AsMemory(), ct).ConfigureAwait(false);
            }
        }
    }
}
