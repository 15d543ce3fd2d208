using System.Diagnostics;
using System.Diagnostics.Metrics;
using ServiceDefaults.Probes;

namespace Worker.Telemetry;

/// <summary>The worker's traces and metrics, exported to the dashboard by the service defaults.</summary>
public sealed class WorkerTelemetry : IDisposable
{
    public const string Name = "Worker";

    private readonly Meter _meter;

    public WorkerTelemetry(IMeterFactory meters, ProbeState probes)
    {
        _meter = meters.Create(Name);
        Processed = _meter.CreateCounter<long>("worker.messages.processed", "{message}", "Messages stored for the first time.");
        Duplicates = _meter.CreateCounter<long>("worker.messages.duplicate", "{message}", "Messages skipped because their id was already stored.");
        DeadLettered = _meter.CreateCounter<long>("worker.messages.dead_lettered", "{message}", "Malformed messages sent to the dead-letter queue.");
        InFlight = _meter.CreateUpDownCounter<long>("worker.messages.in_flight", "{message}", "Messages received and not yet acked.");
        HandlerDuration = _meter.CreateHistogram<double>("worker.handler.duration", "s", "Time to handle one batch, from receipt to ack.");
        _meter.CreateObservableGauge("worker.probe.ready", () => probes.IsReady ? 1 : 0, description: "1 while the readiness probe passes.");
        _meter.CreateObservableGauge("worker.probe.alive", () => probes.IsAlive ? 1 : 0, description: "1 while the liveness probe passes.");
    }

    public static ActivitySource Source { get; } = new(Name);

    public Counter<long> Processed { get; }

    public Counter<long> Duplicates { get; }

    public Counter<long> DeadLettered { get; }

    public UpDownCounter<long> InFlight { get; }

    public Histogram<double> HandlerDuration { get; }

    public void Dispose() => _meter.Dispose();
}
