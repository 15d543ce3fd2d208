using Worker.Tests.Support;

namespace Worker.Tests.Integration;

/// <summary>
/// Freezes a server as a hang does, wherever it runs: SIGSTOP of its processes, or <c>docker pause</c> of its
/// container (the cgroup freezer). Either way its sockets stay open and nothing answers. Disposing thaws it.
/// </summary>
public sealed class ServerFreeze : IAsyncDisposable
{
    private readonly Func<Task> _thaw;

    private ServerFreeze(Func<Task> thaw) => _thaw = thaw;

    public static async Task<ServerFreeze> StartAsync(RunningApp app, string resource)
    {
        if (app.LocalServers)
        {
            var server = app.ProcessId(resource);
            await ProcessTree.PauseAsync(server);
            return new ServerFreeze(() => ProcessTree.ResumeAsync(server));
        }

        var container = app.ContainerId(resource);
        await Docker.RunAsync("pause", container);
        return new ServerFreeze(() => Docker.RunAsync("unpause", container));
    }

    public async ValueTask DisposeAsync() => await _thaw();
}
