using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using ServiceDefaults.Probes;

namespace Worker.Tests.Unit;

/// <summary>
/// What the probes' registration does to the checks that Aspire's integrations add: each is bounded end to end,
/// including a factory that blocks (as the RabbitMQ check's does while the broker is down).
/// </summary>
public sealed class BoundedHealthCheckTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
    private readonly ManualResetEventSlim _release = new();
    private int _factoryCalls;

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
    }

    [Fact]
    public async Task A_check_whose_factory_blocks_reads_unhealthy_after_the_check_timeout()
    {
        using var services = BuildServices();
        var health = services.GetRequiredService<HealthCheckService>();

        var report = await Within.Async(health.CheckHealthAsync(), Guard, "A health run with a blocked check");

        var entry = report.Entries["blocked"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("No answer within 0.5 s.", entry.Description);
        Assert.Contains(ProbeTags.Ready, entry.Tags);
    }

    [Fact]
    public async Task A_check_still_stuck_is_joined_rather_than_started_again()
    {
        using var services = BuildServices();
        var health = services.GetRequiredService<HealthCheckService>();

        await Within.Async(health.CheckHealthAsync(), Guard, "The first health run");
        await Within.Async(health.CheckHealthAsync(), Guard, "The second health run");

        Assert.Equal(1, Volatile.Read(ref _factoryCalls));
    }

    [Fact]
    public async Task Live_checks_are_left_as_they_are()
    {
        using var services = BuildServices();
        var health = services.GetRequiredService<HealthCheckService>();

        var report = await Within.Async(health.CheckHealthAsync(r => r.Tags.Contains(ProbeTags.Live)), Guard, "A liveness run");

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.DoesNotContain(ProbeTags.Ready, report.Entries["self"].Tags);
    }

    [Fact]
    public async Task A_bounded_check_sees_its_own_registration_and_a_throwing_one_reads_as_its_failure_status()
    {
        using var services = BuildServices(builder => builder.Services.AddHealthChecks()
            .AddCheck("degraded-by-registration", new RegistrationCheck(), failureStatus: HealthStatus.Degraded)
            .AddCheck("throws", new ThrowingCheck(), failureStatus: HealthStatus.Degraded));
        var health = services.GetRequiredService<HealthCheckService>();

        var report = await Within.Async(health.CheckHealthAsync(r => r.Name != "blocked"), Guard, "A health run");

        Assert.Equal((HealthStatus.Healthy, "degraded-by-registration"), (report.Entries["degraded-by-registration"].Status, report.Entries["degraded-by-registration"].Description));
        Assert.Equal((HealthStatus.Degraded, "connection refused"), (report.Entries["throws"].Status, report.Entries["throws"].Description));
    }

    private ServiceProvider BuildServices(Action<IHostApplicationBuilder>? more = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration["Probes:CheckTimeout"] = "00:00:00.5";
        builder.AddProbes();
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration("blocked", _ =>
        {
            Interlocked.Increment(ref _factoryCalls);
            _release.Wait(TimeSpan.FromSeconds(30));
            return new StaticCheck();
        }, failureStatus: null, tags: null));
        more?.Invoke(builder);
        return builder.Services.BuildServiceProvider();
    }

    private sealed class StaticCheck : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(HealthCheckResult.Healthy());
    }

    // Answers with the name of its registration, which it reads from the context, as the health-check middleware gives it.
    private sealed class RegistrationCheck : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(HealthCheckResult.Healthy(context.Registration.Name));
    }

    private sealed class ThrowingCheck : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("connection refused");
    }
}
