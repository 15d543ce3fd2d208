using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Worker.Messaging;

namespace Worker.Tests.Unit;

/// <summary>The drain on SIGTERM keeps its bound whatever cancelling the consumer does.</summary>
public sealed class ShutdownDrainTests : IAsyncDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(300);
    private readonly InFlightWindow _window = new(Options.Create(new MessagingOptions()));
    private readonly CancellationTokenSource _deadline = new();

    public async ValueTask DisposeAsync()
    {
        await _window.DisposeAsync();
        _deadline.Dispose();
    }

    [Fact]
    public async Task When_the_cancel_throws_the_window_still_closes_and_the_loop_drains()
    {
        var loop = DrainingLoopAsync();

        await Drain().RunAsync(_ => throw new InvalidOperationException("the channel is already closed"), loop, _deadline, Budget).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(loop.IsCompletedSuccessfully, "The loop should have ended because the window closed.");
        Assert.False(_deadline.IsCancellationRequested && !loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task When_the_cancel_hangs_the_drain_still_ends_within_its_budget()
    {
        var loop = DrainingLoopAsync();
        var clock = Stopwatch.StartNew();

        await Drain().RunAsync(_ => Task.Delay(Timeout.Infinite, CancellationToken.None), loop, _deadline, Budget).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"The drain took {clock.Elapsed}.");
        Assert.True(loop.IsCompleted);
    }

    [Fact]
    public async Task A_loop_that_cannot_finish_is_stopped_at_the_deadline()
    {
        var stuck = Task.Delay(Timeout.Infinite, _deadline.Token);

        await Drain().RunAsync(_ => Task.CompletedTask, stuck, _deadline, Budget).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(stuck.IsCanceled);
    }

    private ShutdownDrain Drain() => new(_window, TimeProvider.System, NullLogger<ShutdownDrain>.Instance);

    // Like the batch loop: reads until the window is closed and empty, or the deadline.
    private async Task DrainingLoopAsync()
    {
        while (await _window.Reader.WaitToReadAsync(_deadline.Token))
        {
            _window.Reader.TryRead(out _);
        }
    }
}
