using AppHost.BackingServices.Local;

namespace Worker.Tests.FileSystem;

/// <summary>
/// A server's user owns the directory its config file is written to, and the AppHost often runs as root: a link that
/// user plants at the file's path must not make root write, chmod or chown the link's target.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("config-file-").FullName;

    [Fact]
    public async Task A_link_planted_at_the_path_is_replaced_and_its_target_left_as_it_was()
    {
        var target = Path.Combine(_dir, "target");
        await File.WriteAllTextAsync(target, "untouched\n");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var path = Path.Combine(_dir, "redis.conf");
        File.CreateSymbolicLink(path, target);
        // As root, the file goes to the servers' user: here daemon, whose ownership is easy to tell from root's.
        var user = ServiceUser.For("daemon");

        await LocalConfigFile.WriteAsync(path, user, ["requirepass secret"], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("untouched\n", await File.ReadAllTextAsync(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(target));
        Assert.Equal(Environment.UserName, await OwnerAsync(target));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("requirepass secret\n", await File.ReadAllTextAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(user.Name ?? Environment.UserName, await OwnerAsync(path));
    }

    [Fact]
    public async Task A_file_already_there_is_replaced_at_owner_only_whatever_its_mode_was()
    {
        var path = Path.Combine(_dir, "rabbitmq.conf");
        await File.WriteAllTextAsync(path, "old and longer than the new content\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        await LocalConfigFile.WriteAsync(path, ServiceUser.For("daemon"), ["new"], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("new\n", await File.ReadAllTextAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<string> OwnerAsync(string path)
    {
        var stat = await Support.ProcessRunner.RunAsync("stat", ["-c", "%U", path], TimeSpan.FromSeconds(30));
        Assert.Equal(0, stat.ExitCode);
        return stat.StandardOutput.Trim();
    }
}
