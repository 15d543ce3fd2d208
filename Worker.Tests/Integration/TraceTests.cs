using RabbitMQ.Client;
using Worker.Commands;

namespace Worker.Tests.Integration;

/// <summary>What a person sees on the dashboard's Traces page, read from the in-process worker's in-memory exporter.</summary>
[Collection(nameof(AppCollection))]
public sealed class TraceTests(AppFixture fixture) : IAsyncLifetime
{
    private InProcessWorker _worker = null!;

    public async Task InitializeAsync() => _worker = await InProcessWorker.StartAsync(fixture);

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task Ten_seconds_of_idle_produce_no_span_from_a_health_check()
    {
        _worker.ClearSpans();

        await Task.Delay(TimeSpan.FromSeconds(10));

        // Five refreshes ran every check in that time: Redis PINGs, SELECT 1, the broker's channel and publish probe.
        Assert.Empty(_worker.Spans().Select(s => $"{s.Source.Name}: {s.DisplayName}"));
    }

    [Fact]
    public async Task A_message_published_with_a_traceparent_is_one_trace_from_publish_to_insert()
    {
        _worker.ClearSpans();
        var id = $"tr{Guid.NewGuid():N}";

        await _worker.PublishAsync([SampleMessages.Valid(id)]);

        var spans = await SpansOfAsync(id);
        var trace = Assert.Single(spans.Select(s => s.TraceId).Distinct());
        Assert.Contains(spans, s => s.Source.Name == RabbitMQActivitySource.PublisherSourceName);
        Assert.Contains(spans, s => s.Source.Name == RabbitMQActivitySource.SubscriberSourceName);
        var process = Assert.Single(spans, s => s.DisplayName == "process message");
        Assert.Equal("stored", process.GetTagItem("worker.outcome"));
        Assert.Equal(["dedup", "insert"], spans.Where(s => s.ParentSpanId == process.SpanId).Select(s => s.DisplayName).Order());
        Assert.Equal(trace, process.TraceId);
    }

    [Fact]
    public async Task A_message_published_without_a_traceparent_is_one_trace_too()
    {
        _worker.ClearSpans();
        var id = $"tr{Guid.NewGuid():N}";

        // A publisher without tracing: the worker's tracer provider listens to the client's publisher source in this
        // process, which a real publisher without tracing would not; suppressed, the publish neither records a span nor
        // injects a traceparent.
        using (OpenTelemetry.SuppressInstrumentationScope.Begin())
        {
            await _worker.PublishAsync([SampleMessages.Valid(id)]);
        }

        var spans = await SpansOfAsync(id);
        Assert.Single(spans.Select(s => s.TraceId).Distinct());
        Assert.DoesNotContain(spans, s => s.Source.Name == RabbitMQActivitySource.PublisherSourceName);
        var deliver = Assert.Single(spans, s => s.Source.Name == RabbitMQActivitySource.SubscriberSourceName);
        Assert.Equal(deliver.SpanId, Assert.Single(spans, s => s.DisplayName == "process message").ParentSpanId);
    }

    [Fact]
    public async Task A_known_id_is_answered_by_redis_and_never_reaches_postgres()
    {
        var id = $"tr{Guid.NewGuid():N}";
        await _worker.PublishAsync([SampleMessages.Valid(id)]);
        await SpansOfAsync(id);
        _worker.ClearSpans();

        await _worker.PublishAsync([SampleMessages.Valid(id)]);

        var spans = await SpansOfAsync(id);
        var process = Assert.Single(spans, s => s.DisplayName == "process message");
        Assert.Equal("duplicate", process.GetTagItem("worker.outcome"));
        Assert.Equal(["dedup"], spans.Where(s => s.ParentSpanId == process.SpanId).Select(s => s.DisplayName));
    }

    [Fact]
    public async Task The_span_and_metric_names_the_readme_lists_are_the_ones_recorded()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Support.RepositoryPaths.Root, "README.md"));
        var id = $"tr{Guid.NewGuid():N}";
        await _worker.PublishAsync([SampleMessages.Valid(id)]);
        var spans = await SpansOfAsync(id);

        foreach (var span in new[] { "process message", "dedup", "insert" })
        {
            Assert.Contains(spans, s => s.DisplayName == span);
            Assert.Contains($"`{span}`", readme, StringComparison.Ordinal);
        }

        foreach (var metric in new[] { "worker.messages.processed", "worker.messages.duplicate", "worker.messages.dead_lettered", "worker.messages.in_flight", "worker.handler.duration", "worker.pipeline.stalled", "probe.ready", "probe.alive" })
        {
            Assert.True(_worker.Instruments.ContainsKey(metric), $"No instrument {metric}.");
            Assert.Contains($"`{metric}`", readme, StringComparison.Ordinal);
        }
    }

    // Every span of the message's trace, once its process span ended (it ends at the ack).
    private async Task<List<System.Diagnostics.Activity>> SpansOfAsync(string id)
    {
        for (var deadline = DateTime.UtcNow + InProcessWorker.Within; DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            if (_worker.Spans().FirstOrDefault(s => s.DisplayName == "process message" && (string?)s.GetTagItem("worker.message.id") == id) is { } process)
            {
                await Task.Delay(500); // the message's other spans end before its process span, or at the same moment
                return [.. _worker.Spans().Where(s => s.TraceId == process.TraceId)];
            }
        }

        throw new TimeoutException($"No process span for {id} within {InProcessWorker.Within.TotalSeconds} s.");
    }
}
