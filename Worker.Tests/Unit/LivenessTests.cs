using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;
using Worker.Health;
using Worker.Messaging;
using Worker.Telemetry;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>
/// Both probes through the real registrations: the pipeline's checks, the health-check service and the probe state,
/// with a fake clock and the pipeline's status set by hand.
/// </summary>
public sealed class LivenessTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeQueueDepth _depth = new();
    private readonly FakeDeadLetters _deadLetters = new();
    private readonly ServiceProvider _services;

    public LivenessTests()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration["Messaging:StuckHandlerThreshold"] = "00:01:00";
        builder.Configuration["Messaging:ConsumerLostThreshold"] = "00:02:00";
        builder.Configuration["Probes:StallAfter"] = "00:00:30";
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.AddProbes();
        builder.Services.RemoveAll<IHealthCheckPublisher>();
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<WorkerTelemetry>();
        builder.Services.AddSingleton<PipelineStatus>();
        builder.Services.AddSingleton<IQueueDepth>(_depth);
        builder.Services.AddSingleton<IDeadLetterPublisher>(_deadLetters);
        builder.AddPipelineHealthChecks();
        _services = builder.Services.BuildServiceProvider();
        Status.MarkMigrated();
        Status.MarkTopologyDeclared();
        Status.MarkConnected(true);
        Status.MarkConsuming();
    }

    private PipelineStatus Status => _services.GetRequiredService<PipelineStatus>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task A_consuming_idle_worker_is_alive_and_ready() => Assert.Equal((true, true), await RefreshAsync());

    [Fact]
    public async Task A_handler_running_within_the_threshold_keeps_liveness_healthy()
    {
        using var attempt = Status.TrackAttempt();
        _time.Advance(TimeSpan.FromSeconds(59));

        Assert.True((await RefreshAsync()).Alive);
    }

    [Fact]
    public async Task A_handler_stuck_past_the_threshold_turns_liveness_unhealthy()
    {
        using var attempt = Status.TrackAttempt();
        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.False((await RefreshAsync()).Alive);
    }

    [Fact]
    public async Task A_handler_that_finished_no_longer_counts()
    {
        Status.TrackAttempt().Dispose();
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.True((await RefreshAsync()).Alive);
    }

    [Fact]
    public async Task Without_a_consumer_the_worker_is_not_ready_and_stays_alive_until_the_bound()
    {
        Status.MarkConsumerGone("the broker cancelled the consumer");
        Assert.Equal((true, false), await RefreshAsync());

        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal((true, false), await RefreshAsync());

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((false, false), await RefreshAsync());

        Status.MarkConsuming();
        Assert.Equal((true, true), await RefreshAsync());
    }

    [Fact]
    public async Task A_broker_outage_never_fails_liveness_however_long_it_lasts()
    {
        Status.MarkConnected(false);
        Status.MarkConsumerGone("the broker connection is down");
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal((true, false), await RefreshAsync());

        // The connection is back: the clock starts from there, not from the outage's start.
        Status.MarkConnected(true);
        _time.Advance(TimeSpan.FromSeconds(100));
        Assert.True((await RefreshAsync()).Alive);
        _time.Advance(TimeSpan.FromSeconds(21));
        Assert.False((await RefreshAsync()).Alive);
    }

    [Fact]
    public async Task A_broker_that_refuses_the_topology_fails_readiness_but_never_liveness()
    {
        Status.MarkConsumerGone("PRECONDITION_FAILED - inequivalent arg 'x-queue-type'", restartHelps: false);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal((true, false), await RefreshAsync());
    }

    [Fact]
    public async Task After_a_long_refusal_a_failure_a_restart_could_help_gets_the_whole_threshold()
    {
        Status.MarkConsumerGone("the broker cancelled the consumer");
        Status.MarkConsumerGone("406 PRECONDITION_FAILED", restartHelps: false);
        _time.Advance(TimeSpan.FromHours(1));

        Status.MarkConsumerGone("the broker did not answer within 15 s");
        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal((true, false), await RefreshAsync());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((false, false), await RefreshAsync());
    }

    [Fact]
    public async Task A_batch_loop_that_ended_fails_liveness()
    {
        Status.MarkLoopFailed(new InvalidOperationException("bug"));

        Assert.False((await RefreshAsync()).Alive);
    }

    [Fact]
    public async Task Work_in_flight_with_no_progress_for_stall_after_fails_readiness_only_and_recovers_by_itself()
    {
        Status.AddInFlight(3);
        Status.RecordError("a batch", new TimeoutException("The operation has timed out."));
        Assert.Equal((true, true), await RefreshAsync());

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal((true, true), await RefreshAsync());

        _time.Advance(TimeSpan.FromSeconds(2));
        var report = await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["progress"].Status);
        Assert.Contains("The operation has timed out", report.Entries["progress"].Description, StringComparison.Ordinal);
        Assert.Equal((true, false), await RefreshAsync());

        Status.RecordProgress(3);
        Assert.Equal((true, true), await RefreshAsync());
    }

    [Fact]
    public async Task Messages_ready_in_the_queue_that_never_arrive_are_a_stall_too()
    {
        _depth.Ready = 40;
        _time.Advance(TimeSpan.FromMinutes(10)); // idle before: the stall clock starts when work appears
        Assert.Equal((true, true), await RefreshAsync());

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal((true, false), await RefreshAsync());

        _depth.Ready = 0;
        Assert.Equal((true, true), await RefreshAsync());
    }

    [Fact]
    public async Task A_queue_depth_the_broker_cannot_give_counts_as_waiting_not_as_idle()
    {
        _depth.Ready = null;
        Assert.Equal((true, true), await RefreshAsync());

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal((true, false), await RefreshAsync());

        _depth.Ready = 0;
        Assert.Equal((true, true), await RefreshAsync());
    }

    [Fact]
    public async Task A_blocked_connection_or_a_broken_dead_letter_channel_fails_readiness_only()
    {
        Status.SetBlocked("consumer", "low on memory");
        Assert.Equal((true, false), await RefreshAsync());
        Status.SetBlocked("consumer", null);
        Assert.Equal((true, true), await RefreshAsync());
        _deadLetters.ProbeFailure = new TimeoutException("no confirm");
        Assert.Equal((true, false), await RefreshAsync());
        _deadLetters.ProbeFailure = null;
        Assert.Equal((true, true), await RefreshAsync());
    }

    // One refresher run, as the background publisher does it.
    private async Task<(bool Alive, bool Ready)> RefreshAsync()
    {
        var report = await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var state = _services.GetRequiredService<ProbeState>();
        await state.PublishAsync(report, CancellationToken.None);
        return (state.IsAlive, state.IsReady);
    }
}
