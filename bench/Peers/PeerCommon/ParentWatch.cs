using Microsoft.Extensions.Hosting;

namespace PeerCommon;

/// <summary>
/// Ends the peer when the bench that started it ends: the bench holds the peer's standard input open, and its end
/// (the bench exiting, crashed or not) stops the host as SIGTERM would. No peer outlives its owner. Registered first,
/// so that a peer stuck while starting still sees it.
/// </summary>
public sealed class ParentWatch(IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The console's input has no truly asynchronous read: a thread of its own blocks on it, and a stop that comes
        // first (SIGTERM) does not wait for it.
        _ = Task.Factory.StartNew(() =>
        {
            using var input = Console.OpenStandardInput();
            var buffer = new byte[64];
            while (input.Read(buffer, 0, buffer.Length) > 0)
            {
            }

            lifetime.StopApplication();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
