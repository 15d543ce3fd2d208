using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Worker.Commands;
using Worker.Messaging;
using Worker.Telemetry;
using Worker.Tests.Unit.Fakes;

namespace Worker.Tests.Unit;

/// <summary>A batch runs until every delivery has an outcome: retried when a dependency fails, split when content does.</summary>
public sealed class BatchAttemptsTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly FakeDedup _dedup = new();
    private readonly FakeDeadLetters _deadLetters = new();
    private readonly PipelineStatus _status = new(TimeProvider.System);
    private readonly WorkerTelemetry _telemetry = new(new TestMeterFactory());
    private readonly RecordingLogger<BatchAttempts> _logger = new();

    public void Dispose() => _telemetry.Dispose();

    [Theory]
    [InlineData(1, new[] { 0 })]
    [InlineData(512, new[] { 0 })]
    [InlineData(512, new[] { 511 })]
    [InlineData(512, new[] { 3, 4, 200, 510 })]
    [InlineData(7, new[] { 0, 1, 2, 3, 4, 5, 6 })]
    public async Task Refused_messages_are_isolated_and_dead_lettered_and_every_other_one_is_stored(int size, int[] poisoned)
    {
        var ids = Enumerable.Range(0, size).Select(i => $"m-{i}").ToList();
        var refused = poisoned.Select(i => ids[i]).ToHashSet();
        var store = new FakeStore(m => refused.Contains(m.Id) ? FakeStore.Refusal() : null);
        var batch = ids.Select(id => Deliveries.Of(SampleMessages.Valid(id))).ToList();

        await Attempts(store).RunAsync(batch, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(ids.Except(refused).Order(), store.Rows.Keys.Order());
        Assert.Equal(refused.Order(), _deadLetters.Published.Select(p => MessageId(p.Body)).Order());
        Assert.All(_deadLetters.Published, p => Assert.Equal("unprocessable: 22P05 unsupported Unicode escape sequence", p.Reason));
        Assert.All(batch, d => Assert.True(d.IsDone));
        // Halving finds each culprit in about log2(size) statements, not one per message.
        Assert.True(store.Statements <= 1 + (poisoned.Length * 2 * (Math.Log2(size) + 1)), $"{store.Statements} statements");
    }

    [Fact]
    public async Task A_transient_failure_retries_the_same_messages_and_dead_letters_nothing()
    {
        var failures = 2;
        var store = new FakeStore(_ => failures-- > 0 ? new NpgsqlException("connection refused") : null);
        var batch = Enumerable.Range(0, 10).Select(i => Deliveries.Of(SampleMessages.Valid($"t-{i}"))).ToList();

        await Attempts(store).RunAsync(batch, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(10, store.Rows.Count);
        Assert.Empty(_deadLetters.Published);
        Assert.Contains("connection refused", _status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retried_batch_neither_dead_letters_twice_nor_counts_its_rows_twice()
    {
        var failures = 1;
        var store = new FakeStore(_ => failures-- > 0 ? new NpgsqlException("connection refused") : null);
        var batch = new[] { Deliveries.Of(SampleMessages.Malformed(0)), Deliveries.Of(SampleMessages.Valid("r-1")), Deliveries.Of(SampleMessages.Valid("r-1")) };

        await Attempts(store).RunAsync(batch, CancellationToken.None).WaitAsync(Bound);

        Assert.Single(_deadLetters.Published);
        Assert.Equal(["dead-lettered", "stored", "duplicate"], batch.Select(d => d.Outcome));
    }

    [Fact]
    public async Task A_dead_letter_that_fails_is_published_again_before_the_batch_completes()
    {
        _deadLetters.FailFirst.Enqueue(new RabbitMQ.Client.Exceptions.PublishException(1, isReturn: true));
        var batch = new[] { Deliveries.Of(SampleMessages.Malformed(5)), Deliveries.Of(SampleMessages.Valid("d-1")) };

        await Attempts(new FakeStore(_ => null)).RunAsync(batch, CancellationToken.None).WaitAsync(Bound);

        var published = Assert.Single(_deadLetters.Published);
        Assert.StartsWith("null-field:", published.Reason, StringComparison.Ordinal);
        Assert.All(batch, d => Assert.True(d.IsDone));
    }

    [Fact]
    public async Task The_log_says_why_a_batch_was_split_which_delivery_was_dead_lettered_and_each_retry()
    {
        var failures = 1;
        var store = new FakeStore(m => m.Id == "l-3" ? FakeStore.Refusal() : failures-- > 0 ? new NpgsqlException("connection refused") : null);
        var batch = Enumerable.Range(0, 4).Select(i => Deliveries.Of(SampleMessages.Valid($"l-{i}"))).ToList();

        await Attempts(store).RunAsync(batch, CancellationToken.None).WaitAsync(Bound);

        Assert.Contains("Warning: A batch failed (attempt 1); nothing acked, retrying in", _logger.Lines.First(), StringComparison.Ordinal);
        Assert.Contains("Information: A batch of 4 failed for its content (22P05 unsupported Unicode escape sequence); splitting it to find the culprit", _logger.Lines);
        Assert.Contains($"Warning: Delivery {batch[3].Tag} cannot be stored and goes to the dead-letter queue: unprocessable: 22P05 unsupported Unicode escape sequence", _logger.Lines);
        Assert.StartsWith("a batch: NpgsqlException: connection refused", _status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dead_letter_of_an_unprocessable_message_is_published_again_when_its_publish_fails()
    {
        _deadLetters.FailFirst.Enqueue(new RabbitMQ.Client.Exceptions.PublishException(1, isReturn: true));
        var batch = new[] { Deliveries.Of(SampleMessages.Valid("u-1")) };

        await Attempts(new FakeStore(_ => FakeStore.Refusal())).RunAsync(batch, CancellationToken.None).WaitAsync(Bound);

        Assert.StartsWith("unprocessable: 22P05", Assert.Single(_deadLetters.Published).Reason, StringComparison.Ordinal);
        Assert.Equal("dead-lettered", batch[0].Outcome);
    }

    [Fact]
    public async Task A_batch_cut_short_by_shutdown_is_left_for_redelivery_not_judged_unprocessable()
    {
        using var stopping = new CancellationTokenSource();
        var store = new FakeStore(_ =>
        {
            stopping.Cancel();
            return FakeStore.Refusal();
        });
        var batch = new[] { Deliveries.Of(SampleMessages.Valid("s-1")) };

        // The refusal goes back to the loop, which leaves the batch unacked for the broker to redeliver.
        await Assert.ThrowsAsync<PostgresException>(() => Attempts(store).RunAsync(batch, stopping.Token).WaitAsync(Bound));

        Assert.Empty(_deadLetters.Published);
        Assert.DoesNotContain(_logger.Lines, line => line.Contains("cannot be stored", StringComparison.Ordinal));
        Assert.False(batch[0].IsDone);
    }

    private BatchAttempts Attempts(FakeStore store)
    {
        var options = Options.Create(new MessagingOptions());
        var processor = new BatchProcessor(_dedup, store, _deadLetters, _telemetry, TimeProvider.System, options, NullLogger<BatchProcessor>.Instance);
        return new BatchAttempts(processor, _status, TimeProvider.System, options, _logger);
    }

    private static string MessageId(string body) => System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
}
