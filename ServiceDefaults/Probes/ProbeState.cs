using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ServiceDefaults.Probes;

/// <summary>
/// The last health report, as the background refresher published it. The probe endpoints only read it, so a storm
/// of probe requests costs the dependencies nothing (the ASP.NET health-check middleware caches nothing).
/// </summary>
public sealed partial class ProbeState : IHealthCheckPublisher
{
    /// <summary>The meter of the probe gauges <c>probe.ready</c> and <c>probe.alive</c> (1 while the probe passes).</summary>
    public const string MeterName = "ServiceDefaults.Probes";

    private readonly TimeProvider _time;
    private readonly ProbeOptions _options;
    private readonly ILogger<ProbeState> _logger;
    private volatile Snapshot _snapshot;
    private volatile bool _stopping;

    public ProbeState(
        TimeProvider time, IOptions<ProbeOptions> options, IHostApplicationLifetime lifetime, IMeterFactory meters, ILogger<ProbeState> logger)
    {
        _time = time;
        _options = options.Value;
        _logger = logger;
        // Until the first report, the process counts as alive (it has just started) and not ready.
        _snapshot = new Snapshot(null, Live: true, Ready: false, time.GetUtcNow());
        lifetime.ApplicationStopping.Register(MarkStopping);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("probe.ready", () => IsReady ? 1 : 0, description: "1 while the readiness probe passes.");
        meter.CreateObservableGauge("probe.alive", () => IsAlive ? 1 : 0, description: "1 while the liveness probe passes.");
    }

    /// <summary>Live checks pass and the refresher still runs.</summary>
    public bool IsAlive
    {
        get
        {
            var snapshot = _snapshot;
            return snapshot.Live && !IsStale(snapshot);
        }
    }

    /// <summary>Every check passed in a fresh report, and the process is not stopping.</summary>
    public bool IsReady
    {
        get
        {
            var snapshot = _snapshot;
            return snapshot.Ready && !_stopping && !IsStale(snapshot);
        }
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        var previous = _snapshot.Report;
        LogChanges(previous, report);
        _snapshot = new Snapshot(
            report,
            Live: report.Entries.Where(e => e.Value.Tags.Contains(ProbeTags.Live)).All(e => e.Value.Status != HealthStatus.Unhealthy),
            Ready: report.Status != HealthStatus.Unhealthy,
            _time.GetUtcNow());
        return Task.CompletedTask;
    }

    /// <summary>Readiness turns unhealthy at once when the host begins to stop.</summary>
    public void MarkStopping()
    {
        if (!_stopping)
        {
            _stopping = true;
            LogStopping(_logger);
        }
    }

    private bool IsStale(Snapshot snapshot) => _time.GetUtcNow() - snapshot.At > _options.StaleAfter;

    // Logged on change only: the reason a probe fails names the dependency, while the probe's body reveals nothing.
    private void LogChanges(HealthReport? previous, HealthReport current)
    {
        foreach (var (name, entry) in current.Entries)
        {
            var before = previous?.Entries.TryGetValue(name, out var old) == true ? old.Status : HealthStatus.Healthy;
            if (entry.Status == HealthStatus.Unhealthy && before != HealthStatus.Unhealthy)
            {
                LogCheckFailed(_logger, entry.Exception, name, entry.Description ?? entry.Exception?.Message ?? "no reason given");
            }
            else if (entry.Status != HealthStatus.Unhealthy && before == HealthStatus.Unhealthy)
            {
                LogCheckRecovered(_logger, name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check {Check} failed: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, Exception? exception, string check, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Health check {Check} passes again")]
    private static partial void LogCheckRecovered(ILogger logger, string check);

    [LoggerMessage(Level = LogLevel.Information, Message = "The host is stopping: readiness now fails")]
    private static partial void LogStopping(ILogger logger);

    private sealed record Snapshot(HealthReport? Report, bool Live, bool Ready, DateTimeOffset At);
}
