using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;

namespace ServiceDefaults.Probes;

/// <summary>
/// Bounds a dependency check end to end. The health-check service starts a registration's Timeout only after the
/// check is built, and Aspire's RabbitMQ check builds by resolving its connection, which blocks ~30 s in retries
/// while the broker is down; the Redis check ignores cancellation. So the whole of it runs off the caller's thread,
/// the caller waits at most the timeout, and a run that is still stuck is joined rather than started again.
/// </summary>
internal sealed class BoundedHealthCheck(
    HealthCheckRegistration inner, InFlightHealthChecks inFlight, IServiceScopeFactory scopes, TimeSpan timeout, TimeProvider time)
    : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var run = inFlight.JoinOrStart(inner.Name, () => Task.Run(RunAsync, CancellationToken.None));
        try
        {
            return await run.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new HealthCheckResult(inner.FailureStatus, $"No answer within {timeout.TotalSeconds:0.##} s.");
        }
    }

    private async Task<HealthCheckResult> RunAsync()
    {
        // A check runs every refresh: its Redis PINGs, SELECT 1 and broker calls would each be a trace of their own,
        // hundreds an hour that push the real work out of the dashboard and cost at the collector. Its result is in
        // the probe gauges, the log line on each change and the dashboard's health column instead.
        using var quiet = SuppressInstrumentationScope.Begin();
        using var cancellation = new CancellationTokenSource(timeout, time);
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            var check = inner.Factory(scope.ServiceProvider);
            return await check.CheckHealthAsync(new HealthCheckContext { Registration = inner }, cancellation.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return new HealthCheckResult(inner.FailureStatus, ex.Message, ex);
        }
    }
}

/// <summary>The runs of bounded checks that have not finished, one at most per check.</summary>
internal sealed class InFlightHealthChecks
{
    private readonly ConcurrentDictionary<string, Task<HealthCheckResult>> _runs = new();

    public Task<HealthCheckResult> JoinOrStart(string name, Func<Task<HealthCheckResult>> start)
    {
        lock (_runs)
        {
            if (_runs.TryGetValue(name, out var running) && !running.IsCompleted)
            {
                return running;
            }

            return _runs[name] = start();
        }
    }
}
