using StackExchange.Redis;
using Worker.Storage;
using Worker.Telemetry;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>Redis refusing marks: said once per change of state, shown in a gauge, and never quoting a key.</summary>
public sealed class DedupMarkWritesTests : IDisposable
{
    private readonly WorkerTelemetry _telemetry = new(new TestMeterFactory());
    private readonly RecordingLogger<DedupMarkWrites> _logger = new();
    private readonly InstrumentReader _instruments;
    private readonly DedupMarkWrites _marks;

    public DedupMarkWritesTests()
    {
        _marks = new DedupMarkWrites(_telemetry, _logger);
        _instruments = new InstrumentReader(meter => meter == _telemetry.Meter);
    }

    public void Dispose()
    {
        _instruments.Dispose();
        _telemetry.Dispose();
    }

    [Fact]
    public void Refusals_are_logged_once_until_a_mark_is_written_again_and_the_gauge_follows()
    {
        _marks.Written();
        Assert.Equal(0, _instruments.Observe().Gauges["worker.dedup.marks_failing"]);

        _marks.Failed(new RedisServerException("OOM command not allowed when used memory > 'maxmemory'."));
        _marks.Failed(new RedisServerException("OOM command not allowed when used memory > 'maxmemory'."));
        Assert.Equal(1, _instruments.Observe().Gauges["worker.dedup.marks_failing"]);

        _marks.Written();
        _marks.Written();
        Assert.Equal(0, _instruments.Observe().Gauges["worker.dedup.marks_failing"]);
        Assert.Equal(2, _logger.Lines.Count);
        Assert.Contains("does not take the marks of stored ids (OOM command not allowed", _logger.Lines.First(), StringComparison.Ordinal);
        Assert.Contains("again", _logger.Lines.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_side_failure_is_named_by_its_type_only_since_its_message_can_quote_a_key()
    {
        _marks.Failed(new RedisTimeoutException("Timeout performing SET (5000ms), inst: 1, key: worker:stored:work:h:5432/db:secret-id", CommandStatus.Sent));

        Assert.Contains($"({nameof(RedisTimeoutException)})", Assert.Single(_logger.Lines), StringComparison.Ordinal);
        Assert.DoesNotContain(_logger.Lines, line => line.Contains("secret-id", StringComparison.Ordinal));
    }
}
