using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;

namespace Worker.Tests.Unit;

/// <summary>The probe endpoints over <see cref="ProbeState"/>, with a fake clock and hand-made health reports.</summary>
public sealed class ProbeEndpointTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-25T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly Dictionary<string, string?> _settings = [];
    private WebApplication? _app;
    private HttpClient _http = null!;

    private ProbeState State => _app!.Services.GetRequiredService<ProbeState>();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Before_the_first_report_the_process_is_alive_but_not_ready()
    {
        await StartAsync();

        Assert.Equal(204, await StatusAsync("/internal/alive"));
        Assert.Equal(500, await StatusAsync("/internal/ready"));
    }

    [Fact]
    public async Task A_healthy_report_makes_ready_answer_204_with_an_empty_body()
    {
        await StartAsync();
        await PublishAsync(("redis", HealthStatus.Healthy, ProbeTags.Ready));

        using var response = await _http.GetAsync("/internal/ready");

        Assert.Equal(204, (int)response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_failing_dependency_fails_readiness_with_an_empty_body_and_never_liveness()
    {
        await StartAsync();
        await PublishAsync(("self", HealthStatus.Healthy, ProbeTags.Live), ("rabbitmq", HealthStatus.Unhealthy, ProbeTags.Ready));

        using var ready = await _http.GetAsync("/internal/ready");

        Assert.Equal(500, (int)ready.StatusCode);
        Assert.Empty(await ready.Content.ReadAsStringAsync());
        Assert.Equal(204, await StatusAsync("/internal/alive"));
    }

    [Fact]
    public async Task A_failing_live_check_fails_liveness()
    {
        await StartAsync();
        await PublishAsync(("self", HealthStatus.Unhealthy, ProbeTags.Live));

        Assert.Equal(500, await StatusAsync("/internal/alive"));
    }

    [Fact]
    public async Task A_stale_report_turns_both_probes_unhealthy()
    {
        _settings["Probes:RefreshInterval"] = "00:00:02";
        _settings["Probes:StaleAfterIntervals"] = "3";
        await StartAsync();
        await PublishAsync(("self", HealthStatus.Healthy, ProbeTags.Live), ("redis", HealthStatus.Healthy, ProbeTags.Ready));

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(204, await StatusAsync("/internal/ready"));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(500, await StatusAsync("/internal/ready"));
        Assert.Equal(500, await StatusAsync("/internal/alive"));
    }

    [Fact]
    public async Task A_stopping_host_fails_readiness_at_once()
    {
        await StartAsync();
        await PublishAsync(("redis", HealthStatus.Healthy, ProbeTags.Ready));

        _app!.Lifetime.StopApplication();

        Assert.Equal(500, await StatusAsync("/internal/ready"));
        Assert.Equal(204, await StatusAsync("/internal/alive"));
    }

    [Fact]
    public async Task Paths_and_status_codes_come_from_configuration()
    {
        _settings["Probes:AlivePath"] = "/healthz";
        _settings["Probes:ReadyPath"] = "/readyz";
        _settings["Probes:HealthyStatusCode"] = "200";
        _settings["Probes:UnhealthyStatusCode"] = "503";
        await StartAsync();

        Assert.Equal(200, await StatusAsync("/healthz"));
        Assert.Equal(503, await StatusAsync("/readyz"));
        Assert.Equal(404, await StatusAsync("/internal/ready"));
    }

    [Theory]
    [InlineData("Probes:HealthyStatusCode", "500", "Probes:HealthyStatusCode must be 200-399")]
    [InlineData("Probes:UnhealthyStatusCode", "204", "Probes:UnhealthyStatusCode must be 400-599")]
    [InlineData("Probes:CheckTimeout", "00:00:05", "Probes:CheckTimeout is 00:00:05")]
    [InlineData("Probes:ReadyPath", "ready", "Probes:ReadyPath must start with '/'")]
    public async Task Invalid_probe_settings_stop_the_start_with_a_message_naming_the_key(string key, string value, string message)
    {
        _settings[key] = value;

        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(StartAsync);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(_settings);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.AddProbes();
        // These tests publish the reports by hand, so the background refresher must not publish its own.
        builder.Services.RemoveAll<IHealthCheckPublisher>();
        _app = builder.Build();
        _app.MapProbes();
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    private Task PublishAsync(params (string Name, HealthStatus Status, string Tag)[] entries) =>
        State.PublishAsync(
            new HealthReport(
                entries.ToDictionary(e => e.Name, e => new HealthReportEntry(e.Status, null, TimeSpan.Zero, null, null, [e.Tag])),
                TimeSpan.Zero),
            CancellationToken.None);

    private async Task<int> StatusAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return (int)response.StatusCode;
    }
}
