using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;

namespace Worker.Tests.Unit;

/// <summary>A failing check is logged once when it starts failing, naming the check and its reason, and once when it passes again.</summary>
public sealed class ProbeLogTests
{
    [Fact]
    public async Task A_failure_is_logged_once_naming_the_check_and_its_recovery_once()
    {
        var logger = new RecordingLogger();
        var state = new ProbeState(new FakeTimeProvider(), Options.Create(new ProbeOptions()), new Lifetime(), new TestMeterFactory(), logger);

        await state.PublishAsync(Report(HealthStatus.Healthy), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Unhealthy, "Connection refused"), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Unhealthy, "Connection refused"), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Unhealthy, "Connection refused"), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Healthy), CancellationToken.None);

        Assert.Equal(["Warning: Health check redis failed: Connection refused", "Information: Health check redis passes again"], logger.Lines);
    }

    private static HealthReport Report(HealthStatus status, string? reason = null) =>
        new(new Dictionary<string, HealthReportEntry> { ["redis"] = new(status, reason, TimeSpan.Zero, null, null, [ProbeTags.Ready]) }, TimeSpan.Zero);

    private sealed class RecordingLogger : ILogger<ProbeState>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
