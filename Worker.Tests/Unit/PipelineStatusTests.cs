using Microsoft.Extensions.Time.Testing;
using Worker.Messaging;

namespace Worker.Tests.Unit;

/// <summary>The clocks the probes read: how long work has waited, since progress, since the consumer went, the longest attempt.</summary>
public sealed class PipelineStatusTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly PipelineStatus _status;

    public PipelineStatusTests() => _status = new PipelineStatus(_time);

    [Fact]
    public void Work_waits_from_its_arrival_until_the_window_empties()
    {
        _time.Advance(TimeSpan.FromMinutes(5));
        _status.AddInFlight(3);
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.FromSeconds(7), _status.WaitingFor);

        _status.RecordProgress(2);
        Assert.Equal(1, _status.InFlight);
        Assert.Equal(TimeSpan.FromSeconds(7), _status.WaitingFor);

        _status.RecordProgress(1);
        Assert.Equal(0, _status.InFlight);
        Assert.Equal(TimeSpan.Zero, _status.WaitingFor);
    }

    [Fact]
    public void Progress_restarts_its_clock()
    {
        _time.Advance(TimeSpan.FromMinutes(5));
        _status.AddInFlight(1);
        _status.RecordProgress(1);
        _time.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(TimeSpan.FromSeconds(4), _status.SinceProgress);
    }

    [Fact]
    public void The_consumer_is_lost_from_when_it_went_on_an_open_connection_and_each_loss_counts_anew()
    {
        _status.MarkConnected(true);
        _time.Advance(TimeSpan.FromSeconds(100));
        _status.MarkConsumerGone("cancelled by the broker");
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(10), _status.ConsumerLostFor);

        _status.MarkConsuming();
        Assert.Equal(TimeSpan.Zero, _status.ConsumerLostFor);
        _time.Advance(TimeSpan.FromSeconds(100));
        _status.MarkConsumerGone("cancelled again");
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), _status.ConsumerLostFor);
        Assert.Equal("cancelled again", _status.ConsumerProblem);
    }

    [Fact]
    public void The_longest_running_attempt_is_the_oldest_one()
    {
        using var old = _status.TrackAttempt();
        _time.Advance(TimeSpan.FromSeconds(50));
        using var recent = _status.TrackAttempt();
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(60), _status.LongestAttempt);
    }

    [Fact]
    public void A_loop_failure_and_an_error_name_their_exception()
    {
        _status.MarkLoopFailed(new InvalidOperationException("bug"));
        _status.RecordError("a batch", new TimeoutException("too slow"));

        Assert.Equal("InvalidOperationException: bug", _status.LoopFailure);
        Assert.Equal("a batch: TimeoutException: too slow", _status.LastError);
    }

    [Fact]
    public void A_delivery_arriving_while_the_window_empties_still_starts_the_wait()
    {
        // The last ack and a new delivery race, again and again; whichever wins, one delivery is in flight after the
        // round and it must be waiting, or a lock that then holds it would never be reported as a stall.
        const int Rounds = 200_000;
        _status.AddInFlight(1);
        using var start = new Barrier(2);
        var arrivals = new Thread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                start.SignalAndWait();
                _status.AddInFlight(1);
                start.SignalAndWait();
            }
        });
        arrivals.Start();

        var unseen = 0;
        for (var round = 0; round < Rounds; round++)
        {
            start.SignalAndWait();
            _status.RecordProgress(1);
            start.SignalAndWait();
            _time.Advance(TimeSpan.FromTicks(1));
            if (_status.WaitingFor == TimeSpan.Zero)
            {
                unseen++;
            }
        }

        Assert.True(arrivals.Join(TimeSpan.FromSeconds(60)), "The arrivals did not finish.");
        Assert.Equal(1, _status.InFlight);
        Assert.Equal(0, unseen);
    }

    [Fact]
    public void The_last_ack_cannot_slip_between_a_deliverys_count_and_the_start_of_its_wait()
    {
        // The clock lets the last ack run on another thread exactly while a delivery is being counted: it must wait
        // for the count and its wait to be in place, or it would leave a wait running with nothing in flight.
        var clock = new InterleavingClock();
        var status = new PipelineStatus(clock);
        using var acked = new ManualResetEventSlim();
        clock.OnNextTimestamp = () =>
        {
            new Thread(() =>
            {
                status.RecordProgress(1);
                acked.Set();
            }).Start();
            acked.Wait(TimeSpan.FromMilliseconds(300));
        };

        status.AddInFlight(1);

        Assert.True(acked.Wait(TimeSpan.FromSeconds(30)), "The ack did not finish.");
        Assert.Equal(0, status.InFlight);
        Assert.Equal(TimeSpan.Zero, status.WaitingFor);
    }

    /// <summary>A second per reading, and a hook that runs once, inside the reading it is armed for.</summary>
    private sealed class InterleavingClock : TimeProvider
    {
        private long _now = 1;

        public Action? OnNextTimestamp { get; set; }

        public override long GetTimestamp()
        {
            var hook = OnNextTimestamp;
            OnNextTimestamp = null;
            hook?.Invoke();
            return Interlocked.Add(ref _now, TimestampFrequency);
        }
    }
}
