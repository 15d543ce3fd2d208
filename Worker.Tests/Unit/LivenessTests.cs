using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;
using Worker.Health;
using Worker.Messaging;

namespace Worker.Tests.Unit;

/// <summary>Liveness through the real registration: live checks, the health-check service and the probe state.</summary>
public sealed class LivenessTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _services;

    public LivenessTests()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration["Messaging:StuckHandlerThreshold"] = "00:01:00";
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.AddProbes();
        builder.Services.RemoveAll<IHealthCheckPublisher>();
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName);
        builder.Services.AddSingleton<HandlerWatchdog>();
        builder.Services.AddHealthChecks().AddCheck<HandlerWatchdog>("message-handlers", tags: [ProbeTags.Live]);
        _services = builder.Services.BuildServiceProvider();
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task A_handler_running_within_the_threshold_keeps_liveness_healthy()
    {
        using var handler = _services.GetRequiredService<HandlerWatchdog>().Track();
        _time.Advance(TimeSpan.FromSeconds(59));

        Assert.True(await RefreshAndReadAliveAsync());
    }

    [Fact]
    public async Task A_handler_stuck_past_the_threshold_turns_liveness_unhealthy()
    {
        using var handler = _services.GetRequiredService<HandlerWatchdog>().Track();
        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.False(await RefreshAndReadAliveAsync());
    }

    [Fact]
    public async Task A_handler_that_finished_no_longer_counts()
    {
        _services.GetRequiredService<HandlerWatchdog>().Track().Dispose();
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.True(await RefreshAndReadAliveAsync());
    }

    // One refresher run, as the background publisher does it.
    private async Task<bool> RefreshAndReadAliveAsync()
    {
        var report = await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var state = _services.GetRequiredService<ProbeState>();
        await state.PublishAsync(report, CancellationToken.None);
        return state.IsAlive;
    }
}
