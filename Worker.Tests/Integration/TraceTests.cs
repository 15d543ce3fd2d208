using System.Diagnostics;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using RabbitMQ.Client;
using ServiceDefaults.Probes;
using Worker.Clients;
using Worker.Commands;
using Worker.Health;
using Worker.Messaging;

namespace Worker.Tests.Integration;

/// <summary>
/// What a person sees on the dashboard's Traces page, read from an in-memory exporter: the worker's pipeline runs in
/// this process against the shared app's real servers, on a queue of its own, with the service defaults' tracing.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class TraceTests(AppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly List<Activity> _spans = [];
    private readonly string _queue = $"trace-{Guid.NewGuid():N}";
    private IHost? _worker;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Worker", DisableDefaults = true });
        foreach (var name in new[] { ConnectionNames.RabbitMQ, ConnectionNames.Redis, ConnectionNames.Postgres })
        {
            builder.Configuration[$"ConnectionStrings:{name}"] = await fixture.App.GetConnectionStringAsync(name);
        }

        builder.Configuration["Messaging:Queue"] = _queue;
        builder.AddServiceDefaults();
        builder.AddBackingServiceClients();
        builder.AddMessagePipeline();
        builder.AddPipelineHealthChecks();
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddSource(RabbitMQActivitySource.PublisherSourceName, RabbitMQActivitySource.SubscriberSourceName)
            .AddInMemoryExporter(_spans));
        _worker = builder.Build();
        await _worker.StartAsync().WaitAsync(Within);

        var probes = _worker.Services.GetRequiredService<ProbeState>();
        for (var deadline = DateTime.UtcNow + Within; !probes.IsReady; await Task.Delay(200))
        {
            Assert.True(DateTime.UtcNow < deadline, "The in-process worker did not become ready.");
        }
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync().WaitAsync(Within);
            _worker.Dispose();
        }
    }

    [Fact]
    public async Task Ten_seconds_of_idle_produce_no_span_from_a_health_check()
    {
        Clear();

        await Task.Delay(TimeSpan.FromSeconds(10));

        // Five refreshes ran every check in that time: Redis PINGs, SELECT 1, the broker's channel and publish probe.
        Assert.Empty(Snapshot().Select(s => $"{s.Source.Name}: {s.DisplayName}"));
    }

    [Fact]
    public async Task A_message_published_with_a_traceparent_is_one_trace_from_publish_to_insert()
    {
        Clear();
        var id = $"tr{Guid.NewGuid():N}";

        await PublishAsync(SampleMessages.Valid(id));

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
        Clear();
        var id = $"tr{Guid.NewGuid():N}";

        // A publisher without tracing: nothing listens to the client's publisher source while it publishes.
        using (SuppressPublisherTracing())
        {
            await PublishAsync(SampleMessages.Valid(id));
        }

        var spans = await SpansOfAsync(id);
        Assert.Single(spans.Select(s => s.TraceId).Distinct());
        Assert.DoesNotContain(spans, s => s.Source.Name == RabbitMQActivitySource.PublisherSourceName);
        var deliver = Assert.Single(spans, s => s.Source.Name == RabbitMQActivitySource.SubscriberSourceName);
        Assert.Equal(deliver.SpanId, Assert.Single(spans, s => s.DisplayName == "process message").ParentSpanId);
    }

    private async Task PublishAsync(byte[] body)
    {
        await using var publisher = await SamplePublisher.ConnectAsync(
            (await fixture.App.GetConnectionStringAsync(ConnectionNames.RabbitMQ))!, new MessagingOptions { Queue = _queue }, CancellationToken.None);
        using var cancel = new CancellationTokenSource(Within);
        await publisher.PublishAsync([body], 0, cancel.Token);
    }

    // Every span of the message's trace, once its process span ended (it ends at the ack).
    private async Task<List<Activity>> SpansOfAsync(string id)
    {
        for (var deadline = DateTime.UtcNow + Within; DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            var spans = Snapshot();
            if (spans.FirstOrDefault(s => s.DisplayName == "process message" && (string?)s.GetTagItem("worker.message.id") == id) is { } process)
            {
                await Task.Delay(500); // the message's other spans end before its process span, or at the same moment
                return [.. Snapshot().Where(s => s.TraceId == process.TraceId)];
            }
        }

        throw new TimeoutException($"No process span for {id} within {Within.TotalSeconds} s.");
    }

    private List<Activity> Snapshot()
    {
        lock (_spans)
        {
            return [.. _spans];
        }
    }

    private void Clear()
    {
        lock (_spans)
        {
            _spans.Clear();
        }
    }

    // The worker's tracer provider listens to the client's publisher source in this process; a real publisher without
    // tracing would not, so its publish neither records a span nor injects a traceparent.
    private static IDisposable SuppressPublisherTracing() => OpenTelemetry.SuppressInstrumentationScope.Begin();
}
