using Microsoft.Extensions.Hosting;

namespace PeerCommon;

/// <summary>Creates the peer's table before anything consumes (hosted services start in order).</summary>
public sealed class TableSetup(PeerTable table) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => table.EnsureAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
