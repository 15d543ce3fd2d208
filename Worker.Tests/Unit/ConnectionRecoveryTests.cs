using Microsoft.Extensions.Time.Testing;
using Worker.Messaging;

namespace Worker.Tests.Unit;

/// <summary>The window in which a closed consumer channel is the client's recovery at work, not a reason to restart.</summary>
public sealed class ConnectionRecoveryTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_recovery_is_under_way_from_the_connection_shutdown_until_the_client_reports_it_done()
    {
        var recovery = new ConnectionRecovery(_time);
        Assert.False(recovery.InProgress);

        await recovery.OnShutdown();
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(recovery.InProgress);

        await recovery.OnRecovered();
        Assert.False(recovery.InProgress);
    }

    [Fact]
    public async Task A_recovery_that_never_reports_back_stops_counting_as_one()
    {
        var recovery = new ConnectionRecovery(_time);

        await recovery.OnShutdown();
        _time.Advance(ConnectionRecovery.MaxRecovery);

        Assert.False(recovery.InProgress);
    }
}
