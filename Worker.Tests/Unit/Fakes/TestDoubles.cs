using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Worker.Tests.Unit.Fakes;

/// <summary>Keeps every line logged, as "Level: message", for tests that assert what an operator would read.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
}

/// <summary>Meters that tests read with a MeterListener, without a host.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    /// <summary>The meters made here, so that a listener can tell them from other tests' meters of the same name.</summary>
    public ConcurrentQueue<Meter> Created { get; } = new();

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        Created.Enqueue(meter);
        return meter;
    }

    public void Dispose()
    {
        while (Created.TryDequeue(out var meter))
        {
            meter.Dispose();
        }
    }
}

/// <summary>A host lifetime that never stops, for the probe state outside a host.</summary>
public sealed class IdleLifetime : IHostApplicationLifetime
{
    public CancellationToken ApplicationStarted => CancellationToken.None;

    public CancellationToken ApplicationStopping => CancellationToken.None;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void StopApplication()
    {
    }
}
