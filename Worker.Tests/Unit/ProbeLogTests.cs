using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>A failing check is logged once when it starts failing, naming the check and its reason, and once when it passes again.</summary>
public sealed class ProbeLogTests
{
    [Fact]
    public async Task A_failure_is_logged_once_naming_the_check_and_its_recovery_once()
    {
        var logger = new RecordingLogger<ProbeState>();
        using var meters = new TestMeterFactory();
        var state = new ProbeState(new FakeTimeProvider(), Options.Create(new ProbeOptions()), new IdleLifetime(), meters, logger);

        await state.PublishAsync(Report(HealthStatus.Healthy), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Unhealthy, "Connection refused"), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Unhealthy, "Connection refused"), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Unhealthy, "Connection refused"), CancellationToken.None);
        await state.PublishAsync(Report(HealthStatus.Healthy), CancellationToken.None);

        Assert.Equal(["Warning: Health check redis failed: Connection refused", "Information: Health check redis passes again"], logger.Lines);
    }

    private static HealthReport Report(HealthStatus status, string? reason = null) =>
        new(new Dictionary<string, HealthReportEntry> { ["redis"] = new(status, reason, TimeSpan.Zero, null, null, [ProbeTags.Ready]) }, TimeSpan.Zero);
}
