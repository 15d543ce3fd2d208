using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ServiceDefaults.Probes;
using Worker.Messaging;
using Worker.Telemetry;

namespace Worker.Health;

/// <summary>
/// Readiness: work is waiting (deliveries unacked, or messages ready in the queue) and nothing has completed for
/// Probes:StallAfter. Every other check can pass while this is so: a table lock, a retry that never succeeds, a
/// broker that stopped delivering. It clears by itself once a batch completes again. The description names the last
/// error, and the gauge <c>worker.pipeline.stalled</c> shows the state.
/// </summary>
public sealed class ProgressHealthCheck : IHealthCheck
{
    private readonly PipelineStatus _status;
    private readonly IQueueDepth _depth;
    private readonly TimeProvider _time;
    private readonly TimeSpan _stallAfter;
    private long _readySeenSince; // when messages were first seen ready in the queue with none in flight; 0: not so
    private volatile bool _stalled;

    public ProgressHealthCheck(PipelineStatus status, IQueueDepth depth, TimeProvider time, IOptions<ProbeOptions> probes, WorkerTelemetry telemetry)
    {
        (_status, _depth, _time, _stallAfter) = (status, depth, time, probes.Value.StallAfter);
        telemetry.Meter.CreateObservableGauge("worker.pipeline.stalled", () => _stalled ? 1 : 0,
            description: "1 while work waits and nothing has completed for Probes:StallAfter.");
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var inFlight = _status.InFlight;
        // The queue is asked only when nothing is in flight: then only the broker knows whether work waits. A depth
        // the broker cannot give (a quorum queue without its quorum, say) counts as waiting, not as idle.
        var asked = inFlight == 0 && _status.Consumer == ConsumerState.Consuming;
        var ready = asked ? await _depth.ReadyAsync(cancellationToken) : 0;
        if (inFlight == 0 && (!asked || ready == 0))
        {
            _readySeenSince = 0;
            _stalled = false;
            return HealthCheckResult.Healthy("Nothing waits.");
        }

        if (inFlight == 0 && _readySeenSince == 0)
        {
            _readySeenSince = _time.GetTimestamp();
        }

        var waiting = inFlight > 0 ? _status.WaitingFor : _time.GetElapsedTime(_readySeenSince);
        var idleFor = waiting < _status.SinceProgress ? waiting : _status.SinceProgress;
        _stalled = idleFor >= _stallAfter;
        return _stalled
            ? HealthCheckResult.Unhealthy(
                $"Stalled: {inFlight} deliveries in flight and {(ready is { } count ? count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "an unknown number of messages")} ready in the queue, and nothing completed for {idleFor.TotalSeconds:0} s. " +
                $"Last error: {_status.LastError ?? "none"}.")
            : HealthCheckResult.Healthy($"{inFlight} in flight, progressing.");
    }
}
