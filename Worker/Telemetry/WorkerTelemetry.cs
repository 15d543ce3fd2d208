using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Worker.Telemetry;

/// <summary>The worker's traces and metrics, exported to the dashboard by the service defaults.</summary>
public sealed class WorkerTelemetry : IDisposable
{
    /// <summary>The application's name, which the service defaults export as a meter and an activity source.</summary>
    public const string Name = "Worker";

    public WorkerTelemetry(IMeterFactory meters)
    {
        Meter = meters.Create(Name);
        Processed = Meter.CreateCounter<long>("worker.messages.processed", "{message}", "Messages stored for the first time.");
        Duplicates = Meter.CreateCounter<long>("worker.messages.duplicate", "{message}", "Messages skipped because their id was already stored.");
        DeadLettered = Meter.CreateCounter<long>("worker.messages.dead_lettered", "{message}", "Messages sent to the dead-letter queue: malformed, too large, or unprocessable.");
        StaleMarks = Meter.CreateCounter<long>("worker.dedup.stale_marks", "{message}", "Ids Redis marked as stored that the database had no row for, stored again.");
        InFlight = Meter.CreateUpDownCounter<long>("worker.messages.in_flight", "{message}", "Messages received and not yet acked.");
        HandlerDuration = Meter.CreateHistogram<double>("worker.handler.duration", "s", "Time to handle one batch, from receipt to ack.");
        StageDuration = Meter.CreateHistogram<double>("worker.batch.stage.duration", "s",
            "Time one batch spends in a stage (worker.stage): dedup, insert, mark, ack-order (waiting for the batch before it), ack.");
    }

    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The worker's meter, for the instruments that live with what they measure.</summary>
    public Meter Meter { get; }

    public Counter<long> Processed { get; }

    public Counter<long> Duplicates { get; }

    public Counter<long> DeadLettered { get; }

    public Counter<long> StaleMarks { get; }

    public UpDownCounter<long> InFlight { get; }

    public Histogram<double> HandlerDuration { get; }

    /// <summary>Which stage holds a batch up: the dependency behind a slow drain, without a trace.</summary>
    public Histogram<double> StageDuration { get; }

    /// <summary>Records the time since <paramref name="started"/> (a <see cref="TimeProvider"/> timestamp) as <paramref name="stage"/>.</summary>
    public void RecordStage(string stage, long started, TimeProvider time) =>
        StageDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("worker.stage", stage));

    public void Dispose() => Meter.Dispose();
}
