using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults.Probes;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>
/// The probe state's gauges and log lines (a failing check logged once when it starts failing, naming the check and its
/// reason, and once when it passes again), its registration as the refresher's target, and its option bounds.
/// </summary>
public sealed class ProbeStateTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingLogger<ProbeState> _logger = new();
    private readonly TestMeterFactory _meters = new();
    private readonly ProbeState _state;
    private readonly IdleLifetime _lifetime = new();

    public ProbeStateTests() => _state = new ProbeState(_time, Options.Create(new ProbeOptions()), _lifetime, _meters, _logger);

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task The_gauges_read_1_while_each_probe_passes_and_0_when_it_fails()
    {
        using var instruments = new InstrumentReader(_meters.Created.Contains);
        Assert.Equal("1 while the readiness probe passes.", instruments.Descriptions["probe.ready"]);
        Assert.Equal("1 while the liveness probe passes.", instruments.Descriptions["probe.alive"]);
        await _state.PublishAsync(Report(HealthStatus.Healthy, HealthStatus.Healthy), CancellationToken.None);
        var values = instruments.Observe().Gauges;
        Assert.Equal((1, 1), (values["probe.ready"], values["probe.alive"]));

        await _state.PublishAsync(Report(HealthStatus.Unhealthy, HealthStatus.Healthy), CancellationToken.None);
        instruments.Observe();
        Assert.Equal((0, 1), (values["probe.ready"], values["probe.alive"]));

        await _state.PublishAsync(Report(HealthStatus.Unhealthy, HealthStatus.Unhealthy), CancellationToken.None);
        instruments.Observe();
        Assert.Equal((0, 0), (values["probe.ready"], values["probe.alive"]));
    }

    [Fact]
    public async Task A_failure_is_logged_once_naming_the_check_and_its_recovery_once()
    {
        await _state.PublishAsync(Entry(HealthStatus.Healthy, null, null), CancellationToken.None);
        await _state.PublishAsync(Entry(HealthStatus.Unhealthy, "Connection refused", null), CancellationToken.None);
        await _state.PublishAsync(Entry(HealthStatus.Unhealthy, "Connection refused", null), CancellationToken.None);
        await _state.PublishAsync(Entry(HealthStatus.Unhealthy, "Connection refused", null), CancellationToken.None);
        await _state.PublishAsync(Entry(HealthStatus.Healthy, null, null), CancellationToken.None);

        Assert.Equal(["Warning: Health check redis failed: Connection refused", "Information: Health check redis passes again"], _logger.Lines);
    }

    [Fact]
    public async Task A_failure_without_a_description_is_logged_with_its_exception_or_as_having_no_reason()
    {
        await _state.PublishAsync(Entry(HealthStatus.Unhealthy, null, new TimeoutException("no answer from redis")), CancellationToken.None);
        await _state.PublishAsync(Entry(HealthStatus.Unhealthy, null, null, name: "postgres"), CancellationToken.None);

        Assert.Contains("Warning: Health check redis failed: no answer from redis", _logger.Lines);
        Assert.Contains("Warning: Health check postgres failed: no reason given", _logger.Lines);
    }

    [Fact]
    public void A_stopping_host_is_logged_once()
    {
        _state.MarkStopping();
        _state.MarkStopping();

        Assert.Equal(["Information: The host is stopping: readiness now fails"], _logger.Lines);
    }

    [Fact]
    public void The_refresher_publishes_to_the_probe_state_at_once_and_then_every_refresh_interval()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration["Probes:RefreshInterval"] = "00:00:03";
        builder.AddProbes();
        using var services = builder.Services.BuildServiceProvider();

        Assert.Contains(services.GetRequiredService<ProbeState>(), services.GetServices<IHealthCheckPublisher>());
        var publisher = services.GetRequiredService<IOptions<HealthCheckPublisherOptions>>().Value;
        Assert.Equal((TimeSpan.Zero, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)), (publisher.Delay, publisher.Period, publisher.Timeout));
    }

    [Theory]
    [InlineData("00:00:01", "00:00:00.5", "00:00:02", null)]
    [InlineData("00:00:00.999", "00:00:00.5", "00:00:02", "Probes:RefreshInterval")]
    [InlineData("00:05:00", "00:00:01", "00:10:00", null)]
    [InlineData("00:05:00.001", "00:00:01", "00:10:01", "Probes:RefreshInterval")]
    [InlineData("00:00:02", "00:00:00", "00:00:30", "Probes:CheckTimeout")]
    [InlineData("00:00:02", "00:00:00.001", "00:00:30", null)]
    [InlineData("00:00:02", "00:00:02", "00:00:30", "Probes:CheckTimeout")]
    [InlineData("00:00:02", "00:00:01.999", "00:00:04", null)]
    [InlineData("00:00:02", "00:00:01", "00:00:03.999", "Probes:StallAfter")]
    [InlineData("00:00:02", "00:00:01", "01:00:00", null)]
    [InlineData("00:00:02", "00:00:01", "01:00:00.001", "Probes:StallAfter")]
    public void Probe_timings_are_held_to_their_bounds(string refresh, string checkTimeout, string stallAfter, string? refused)
    {
        var errors = ValidationErrors(new()
        {
            ["Probes:RefreshInterval"] = refresh,
            ["Probes:CheckTimeout"] = checkTimeout,
            ["Probes:StallAfter"] = stallAfter,
        });

        if (refused is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.StartsWith($"{refused} is ", Assert.Single(errors), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_stall_bound_below_two_refreshes_is_refused_naming_the_least_it_may_be()
    {
        var errors = ValidationErrors(new() { ["Probes:RefreshInterval"] = "00:00:05", ["Probes:StallAfter"] = "00:00:09" });

        Assert.Contains("at least two Probes:RefreshInterval (00:00:10)", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void The_two_probes_need_two_paths()
    {
        var errors = ValidationErrors(new() { ["Probes:AlivePath"] = "/health", ["Probes:ReadyPath"] = "/HEALTH" });

        Assert.Equal(["Probes:AlivePath and Probes:ReadyPath must differ."], errors);
    }

    // What the options pipeline refuses at start, one message per broken rule.
    private static List<string> ValidationErrors(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddProbes();
        using var services = builder.Services.BuildServiceProvider();
        try
        {
            _ = services.GetRequiredService<IOptions<ProbeOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
    }

    private static HealthReport Report(HealthStatus ready, HealthStatus live) => new(new Dictionary<string, HealthReportEntry>
    {
        ["redis"] = new(ready, null, TimeSpan.Zero, null, null, [ProbeTags.Ready]),
        ["self"] = new(live, null, TimeSpan.Zero, null, null, [ProbeTags.Live]),
    }, TimeSpan.Zero);

    private static HealthReport Entry(HealthStatus status, string? description, Exception? exception, string name = "redis") =>
        new(new Dictionary<string, HealthReportEntry> { [name] = new(status, description, TimeSpan.Zero, exception, null, [ProbeTags.Ready]) }, TimeSpan.Zero);
}
