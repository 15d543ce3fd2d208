using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Worker.Commands;
using Worker.Messaging;
using Worker.Telemetry;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>One attempt at a batch: Redis as the fast path, PostgreSQL for the rest, the counters and each message's spans.</summary>
public sealed class BatchProcessorTests : IDisposable
{
    private readonly FakeDedup _dedup = new();
    private readonly FakeStore _store = new(_ => null);
    private readonly FakeDeadLetters _deadLetters = new();
    private readonly WorkerTelemetry _telemetry = new(new TestMeterFactory());
    private readonly InstrumentReader _instruments;
    private readonly BatchProcessor _processor;

    public BatchProcessorTests()
    {
        _processor = new BatchProcessor(_dedup, _store, _deadLetters, _telemetry, TimeProvider.System, Options.Create(new MessagingOptions()), NullLogger<BatchProcessor>.Instance);
        _instruments = new InstrumentReader(meter => meter == _telemetry.Meter);
    }

    public void Dispose()
    {
        _instruments.Dispose();
        _telemetry.Dispose();
    }

    [Fact]
    public async Task Each_message_is_counted_once_as_stored_duplicate_or_dead_lettered_and_new_ids_are_marked_in_redis()
    {
        Stored("known");
        var batch = new[]
        {
            Deliveries.Of(SampleMessages.Valid("new-1")),
            Deliveries.Of(SampleMessages.Valid("new-2")),
            Deliveries.Of(SampleMessages.Valid("new-1")),
            Deliveries.Of(SampleMessages.Valid("known")),
            Deliveries.Of(SampleMessages.Malformed(0)),
        };

        await _processor.ProcessAsync(batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["known", "new-1", "new-2"], _store.Rows.Keys.Order());
        Assert.Equal(["known", "new-1", "new-2"], _dedup.Marked.Keys.Order());
        Assert.Equal(2, _instruments.Sums.GetValueOrDefault("worker.messages.processed"));
        Assert.Equal(2, _instruments.Sums.GetValueOrDefault("worker.messages.duplicate"));
        Assert.Equal(1, _instruments.Sums.GetValueOrDefault("worker.messages.dead_lettered"));
    }

    [Fact]
    public async Task An_id_redis_marked_but_the_database_forgot_is_stored_again_and_counted_as_stale()
    {
        _dedup.Marked["forgotten"] = true;
        Stored("kept");

        await _processor.ProcessAsync(
            [Deliveries.Of(SampleMessages.Valid("forgotten")), Deliveries.Of(SampleMessages.Valid("kept"))], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["forgotten", "kept"], _store.Rows.Keys.Order());
        Assert.Equal(1, _instruments.Sums.GetValueOrDefault("worker.messages.processed"));
        Assert.Equal(1, _instruments.Sums.GetValueOrDefault("worker.messages.duplicate"));
        Assert.Equal(1, _instruments.Sums.GetValueOrDefault("worker.dedup.stale_marks"));
    }

    [Fact]
    public async Task Without_a_mark_in_redis_no_id_is_looked_up_before_the_insert()
    {
        await _processor.ProcessAsync([Deliveries.Of(SampleMessages.Valid("new"))], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, _store.Statements);
    }

    [Fact]
    public async Task A_batch_with_nothing_to_store_makes_no_round_trip_to_postgres()
    {
        await _processor.ProcessAsync([Deliveries.Of(SampleMessages.Malformed(1))], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, _store.Statements);
        Assert.Single(_deadLetters.Published);
    }

    [Fact]
    public async Task Every_message_gets_a_dedup_span_over_the_shared_call_and_only_the_new_ones_an_insert_span()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        Stored("seen");
        var batch = new[] { Deliveries.Of(SampleMessages.Valid("fresh")), Deliveries.Of(SampleMessages.Valid("seen")) };
        foreach (var delivery in batch)
        {
            delivery.StartTrace();
        }

        await _processor.ProcessAsync(batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        var traces = batch.Select(d => d.Trace!.TraceId).ToHashSet();
        var ours = spans.Where(s => traces.Contains(s.TraceId)).ToList();
        var dedup = ours.Where(s => s.DisplayName == "dedup").ToList();
        Assert.Equal(traces, dedup.Select(s => s.TraceId).ToHashSet());
        // One shared call: every message's span shows its very start and end.
        Assert.Single(dedup.Select(s => (s.StartTimeUtc, s.Duration)).Distinct());
        var insert = Assert.Single(ours, s => s.DisplayName == "insert");
        Assert.Equal(batch[0].Trace!.TraceId, insert.TraceId);
    }

    // An id whose row exists and which Redis has marked: a true duplicate.
    private void Stored(string id)
    {
        _store.Rows[id] = Worker.Contract.MessageParser.Parse(SampleMessages.Valid(id)).Message!;
        _dedup.Marked[id] = true;
    }
}
