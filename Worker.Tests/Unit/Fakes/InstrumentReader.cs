using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Worker.Tests.Unit.Fakes;

/// <summary>
/// Reads the instruments of the chosen meters as an exporter would: counters summed, gauges at their last observation
/// (<see cref="Observe"/> takes one), and each instrument's description.
/// </summary>
public sealed class InstrumentReader : IDisposable
{
    private readonly MeterListener _listener = new();

    public InstrumentReader(Func<Meter, bool> include)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (include(instrument.Meter))
            {
                Descriptions[instrument.Name] = instrument.Description;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Gauges[instrument.Name] = value);
        _listener.Start();
    }

    public ConcurrentDictionary<string, long> Sums { get; } = new();

    public ConcurrentDictionary<string, int> Gauges { get; } = new();

    public ConcurrentDictionary<string, string?> Descriptions { get; } = new();

    public InstrumentReader Observe()
    {
        _listener.RecordObservableInstruments();
        return this;
    }

    public void Dispose() => _listener.Dispose();
}
