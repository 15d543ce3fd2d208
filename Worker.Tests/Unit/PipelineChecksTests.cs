using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;
using Worker.Health;
using Worker.Messaging;
using Worker.Telemetry;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>
/// Each pipeline check on its own: when it fails, at which bound, and what its description tells the operator (the
/// probe state logs it once, naming the check). The checks only read <see cref="PipelineStatus"/>.
/// </summary>
public sealed class PipelineChecksTests : IDisposable
{
    private static readonly HealthCheckContext Context = new();
    private readonly FakeTimeProvider _time = new();
    private readonly FakeQueueDepth _depth = new();
    private readonly FakeDeadLetters _deadLetters = new();
    private readonly WorkerTelemetry _telemetry = new(new TestMeterFactory());
    private readonly IOptions<MessagingOptions> _messaging = Options.Create(new MessagingOptions
    {
        StuckHandlerThreshold = TimeSpan.FromMinutes(1),
        ConsumerLostThreshold = TimeSpan.FromMinutes(2),
    });

    private readonly PipelineStatus _status;
    private readonly ProgressHealthCheck _progress;

    public PipelineChecksTests()
    {
        _status = new PipelineStatus(_time);
        _progress = new ProgressHealthCheck(_status, _depth, _time, Options.Create(new ProbeOptions { StallAfter = TimeSpan.FromSeconds(30) }), _telemetry);
        _status.MarkConnected(true);
        _status.MarkConsuming();
    }

    public void Dispose() => _telemetry.Dispose();

    [Fact]
    public void The_pipeline_checks_are_registered_under_the_names_the_logs_use_and_only_two_touch_liveness()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.AddPipelineHealthChecks();
        var registrations = builder.Services.BuildServiceProvider().GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        Assert.Equal(["broker-flow", "consumer", "consumer-liveness", "message-handlers", "progress"], registrations.Select(r => r.Name).Order());
        Assert.Equal(["consumer-liveness", "message-handlers"], registrations.Where(r => r.Tags.Contains(ProbeTags.Live)).Select(r => r.Name).Order());
    }

    [Fact]
    public async Task Readiness_waits_for_the_migration_then_the_topology_then_a_consumer_each_named()
    {
        var check = new ConsumerHealthCheck(_status);
        var fresh = new PipelineStatus(_time);
        fresh.MarkTopologyDeclared();
        fresh.MarkConsuming();
        Assert.Contains("schema migration", (await new ConsumerHealthCheck(fresh).CheckHealthAsync(Context)).Description, StringComparison.Ordinal);

        var noTopology = new PipelineStatus(_time);
        noTopology.MarkMigrated();
        noTopology.MarkConsuming();
        Assert.Contains("topology", (await new ConsumerHealthCheck(noTopology).CheckHealthAsync(Context)).Description, StringComparison.Ordinal);

        _status.MarkMigrated();
        _status.MarkTopologyDeclared();
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context)).Status);
        _status.MarkConsumerGone("the broker cancelled the consumer");
        var gone = await check.CheckHealthAsync(Context);
        Assert.Equal((HealthStatus.Unhealthy, "No consumer: the broker cancelled the consumer."), (gone.Status, gone.Description));

        var notStarted = new PipelineStatus(_time);
        notStarted.MarkMigrated();
        notStarted.MarkTopologyDeclared();
        Assert.Equal("No consumer: NotStarted.", (await new ConsumerHealthCheck(notStarted).CheckHealthAsync(Context)).Description);
    }

    [Fact]
    public async Task Liveness_fails_past_the_consumer_bound_not_at_it_and_says_why()
    {
        var check = new ConsumerLivenessCheck(_status, _messaging);
        _status.MarkConsumerGone("channel closed: 406");
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context)).Status);

        _time.Advance(TimeSpan.FromSeconds(1));
        var result = await check.CheckHealthAsync(Context);
        Assert.Equal("No consumer for 121 s on an open connection, past the 120 s threshold: channel closed: 406", result.Description);

        _status.MarkLoopFailed(new InvalidOperationException("bug"));
        Assert.Equal("The batch loop ended: InvalidOperationException: bug", (await check.CheckHealthAsync(Context)).Description);
    }

    [Fact]
    public async Task A_handler_fails_liveness_past_its_threshold_not_at_it()
    {
        var check = new HandlerWatchdog(_status, _messaging);
        using var attempt = _status.TrackAttempt();
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context)).Status);

        _time.Advance(TimeSpan.FromSeconds(1));
        var result = await check.CheckHealthAsync(Context);
        Assert.Equal((HealthStatus.Unhealthy, "A message handler has run for 61 s, past the 60 s threshold."), (result.Status, result.Description));
    }

    [Fact]
    public async Task Broker_flow_names_each_blocked_connection_and_the_last_dead_letter_problem()
    {
        var check = new BrokerFlowHealthCheck(_status, _deadLetters, _time, Options.Create(new ProbeOptions()), _messaging);
        _status.SetBlocked("consumer", "low on memory");
        Assert.Equal("The broker blocks the consumer connection (low on memory).", (await check.CheckHealthAsync(Context)).Description);
        _status.SetBlocked("dead letters", "low on disk");
        Assert.Contains("), the ", (await check.CheckHealthAsync(Context)).Description, StringComparison.Ordinal);

        _status.SetBlocked("consumer", null);
        _status.SetBlocked("dead letters", null);
        _deadLetters.ProbeFailure = new TimeoutException("no confirm within 5 s");
        Assert.Equal("The broker does not confirm a publish on the dead-letter connection: no confirm within 5 s",
            (await check.CheckHealthAsync(Context)).Description);

        _status.SetDeadLetterProblem("work.dlx was deleted");
        Assert.EndsWith(" The last dead letter: work.dlx was deleted.", (await check.CheckHealthAsync(Context)).Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_write_the_broker_never_confirms_fails_the_check_within_its_bound_and_says_the_queue_has_no_leader()
    {
        var check = new BrokerFlowHealthCheck(_status, _deadLetters, _time, Options.Create(new ProbeOptions { CheckTimeout = TimeSpan.FromSeconds(1.5) }), _messaging);
        _deadLetters.ProbeUnconfirmed = true;
        var result = check.CheckHealthAsync(Context);
        _time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.False(result.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(0.1));
        var report = await result.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.StartsWith($"The broker has not confirmed a write to {_messaging.Value.ProbeQueue} within 1.2 s", report.Description, StringComparison.Ordinal);
        Assert.Contains("no leader", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_publish_cut_by_its_own_timeout_fails_the_check_while_a_cancelled_run_is_not_judged()
    {
        var check = new BrokerFlowHealthCheck(_status, _deadLetters, _time, Options.Create(new ProbeOptions()), _messaging);
        _deadLetters.ProbeFailure = new OperationCanceledException("the confirm timed out");
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(Context)).Status);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => check.CheckHealthAsync(Context, cancelled.Token));
    }

    [Fact]
    public async Task A_stall_starts_at_stall_after_names_the_work_and_the_last_error_and_shows_on_the_gauge()
    {
        using var instruments = new InstrumentReader(meter => meter == _telemetry.Meter);
        Assert.Equal("1 while work waits and nothing has completed for Probes:StallAfter.", instruments.Descriptions["worker.pipeline.stalled"]);
        Assert.Equal("Nothing waits.", (await _progress.CheckHealthAsync(Context)).Description);

        _time.Advance(TimeSpan.FromMinutes(10));
        _status.AddInFlight(3);
        _time.Advance(TimeSpan.FromSeconds(29));
        var waiting = await _progress.CheckHealthAsync(Context);
        Assert.Equal((HealthStatus.Healthy, "3 in flight, progressing."), (waiting.Status, waiting.Description));
        Assert.Equal(0, instruments.Observe().Gauges["worker.pipeline.stalled"]);

        _time.Advance(TimeSpan.FromSeconds(1));
        var stalled = await _progress.CheckHealthAsync(Context);
        Assert.Equal(HealthStatus.Unhealthy, stalled.Status);
        Assert.Equal("Stalled: 3 deliveries in flight and 0 ready in the queue, and nothing completed for 30 s. Last error: none.", stalled.Description);
        Assert.Equal(1, instruments.Observe().Gauges["worker.pipeline.stalled"]);

        _status.RecordProgress(3);
        Assert.Equal("Nothing waits.", (await _progress.CheckHealthAsync(Context)).Description);
        Assert.Equal(0, instruments.Observe().Gauges["worker.pipeline.stalled"]);
    }

    [Fact]
    public async Task Progress_on_part_of_the_window_keeps_the_rest_from_reading_as_a_stall()
    {
        _status.AddInFlight(10);
        _time.Advance(TimeSpan.FromSeconds(60));
        _status.RecordProgress(5);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(HealthStatus.Healthy, (await _progress.CheckHealthAsync(Context)).Status);
    }

    [Fact]
    public async Task The_queue_is_asked_only_when_nothing_is_in_flight_and_a_consumer_could_take_it()
    {
        _depth.Ready = 40;
        _status.AddInFlight(1);
        await _progress.CheckHealthAsync(Context);
        Assert.Equal(0, _depth.Calls);

        _status.RecordProgress(1);
        _status.MarkConsumerGone("cancelled");
        _time.Advance(TimeSpan.FromMinutes(5));
        // Without a consumer, messages waiting in the queue are the consumer check's failure, not a stall.
        Assert.Equal(HealthStatus.Healthy, (await _progress.CheckHealthAsync(Context)).Status);
        Assert.Equal(0, _depth.Calls);

        _status.MarkConsuming();
        await _progress.CheckHealthAsync(Context);
        Assert.Equal(1, _depth.Calls);
    }

    [Fact]
    public async Task A_queue_depth_the_broker_cannot_give_is_named_as_unknown_in_a_stall()
    {
        _depth.Ready = null;
        await _progress.CheckHealthAsync(Context);
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Contains("0 deliveries in flight and an unknown number of messages ready in the queue", (await _progress.CheckHealthAsync(Context)).Description, StringComparison.Ordinal);
    }
}
