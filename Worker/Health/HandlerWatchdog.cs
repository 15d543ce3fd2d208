using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Worker.Messaging;

namespace Worker.Health;

/// <summary>
/// Liveness: fails when a handler attempt has run past Messaging:StuckHandlerThreshold, the deadlock or starvation
/// the page says liveness should catch. Attempts are bounded well below the threshold, so a dependency outage
/// (which only makes attempts fail and back off) never trips it. Reads memory only.
/// </summary>
public sealed class HandlerWatchdog(TimeProvider time, IOptions<MessagingOptions> options) : IHealthCheck
{
    private readonly ConcurrentDictionary<long, long> _running = new();
    private long _next;

    /// <summary>Marks a handler attempt as running until the returned scope is disposed.</summary>
    public IDisposable Track()
    {
        var id = Interlocked.Increment(ref _next);
        _running[id] = time.GetTimestamp();
        return new Scope(this, id);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.StuckHandlerThreshold;
        var longest = _running.Values.Select(started => time.GetElapsedTime(started)).DefaultIfEmpty(TimeSpan.Zero).Max();
        return Task.FromResult(longest > threshold
            ? HealthCheckResult.Unhealthy($"A message handler has run for {longest.TotalSeconds:0} s, past the {threshold.TotalSeconds:0} s threshold.")
            : HealthCheckResult.Healthy());
    }

    private sealed class Scope(HandlerWatchdog watchdog, long id) : IDisposable
    {
        public void Dispose() => watchdog._running.TryRemove(id, out _);
    }
}
