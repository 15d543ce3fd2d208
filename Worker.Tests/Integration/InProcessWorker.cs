using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using RabbitMQ.Client;
using ServiceDefaults.Probes;
using Worker.Clients;
using Worker.Commands;
using Worker.Health;
using Worker.Messaging;
using Worker.Telemetry;

namespace Worker.Tests.Integration;

/// <summary>
/// The worker's pipeline hosted in the test process against the shared app's real servers, on a queue of its own, so
/// that a test can read what the worker itself records: its spans (an in-memory exporter), its counters and its logs.
/// </summary>
public sealed class InProcessWorker : IAsyncDisposable
{
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly List<Activity> _spans = [];
    private readonly ConcurrentDictionary<string, long> _counters = new();
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly ConcurrentDictionary<string, string> _instruments = new();
    private readonly MeterListener _meters = new();
    private readonly AppFixture _fixture;
    private IHost? _host;

    private InProcessWorker(AppFixture fixture) => _fixture = fixture;

    public const string ApplicationName = "in-process-worker";

    /// <summary>A queue of its own, unless the settings name one (<c>Messaging:Queue</c>).</summary>
    public string Queue { get; private set; } = $"inproc-{Guid.NewGuid():N}";

    public IServiceProvider Services => _host!.Services;

    /// <param name="everyLevel">Record every log line down to Trace, the client libraries' own included.</param>
    public static async Task<InProcessWorker> StartAsync(AppFixture fixture, IDictionary<string, string?>? settings = null, bool everyLevel = false)
    {
        var worker = new InProcessWorker(fixture);
        if (settings?.TryGetValue("Messaging:Queue", out var queue) == true && queue is not null)
        {
            worker.Queue = queue;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Worker", DisableDefaults = true });
        foreach (var name in new[] { ConnectionNames.RabbitMQ, ConnectionNames.Redis, ConnectionNames.Postgres })
        {
            builder.Configuration[$"ConnectionStrings:{name}"] = await fixture.App.GetConnectionStringAsync(name);
        }

        // The AppHost runs in this process too, and its own checks of PostgreSQL are traced by the same client library:
        // the application name tells this worker's spans apart (Npgsql records it in db.npgsql.data_source).
        builder.Configuration[$"ConnectionStrings:{ConnectionNames.Postgres}"] += $";Application Name={ApplicationName}";

        builder.Configuration["Messaging:Queue"] = worker.Queue;
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.AddProvider(new Recorder(worker._logs, everyLevel ? LogLevel.Trace : LogLevel.Information));
        if (everyLevel)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
        }

        builder.AddServiceDefaults();
        builder.AddBackingServiceClients();
        builder.AddMessagePipeline();
        builder.AddPipelineHealthChecks();
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddSource(RabbitMQActivitySource.PublisherSourceName, RabbitMQActivitySource.SubscriberSourceName)
            .AddInMemoryExporter(worker._spans));
        worker._meters.InstrumentPublished = (instrument, listener) =>
        {
            worker._instruments[instrument.Name] = instrument.Meter.Name;
            if (instrument.Meter.Name == WorkerTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        worker._meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => worker._counters.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        worker._meters.Start();
        worker._host = builder.Build();
        await worker._host.StartAsync().WaitAsync(Within);

        var probes = worker.Services.GetRequiredService<ProbeState>();
        for (var deadline = DateTime.UtcNow + Within; !probes.IsReady; await Task.Delay(200))
        {
            Assert.True(DateTime.UtcNow < deadline, "The in-process worker did not become ready.");
        }

        return worker;
    }

    /// <summary>What the counter of that name has added up to so far (0 before anything was recorded).</summary>
    public long Counter(string name) => _counters.GetValueOrDefault(name);

    public IReadOnlyList<string> Logs => [.. _logs];

    /// <summary>Every instrument the process published, with its meter's name.</summary>
    public IReadOnlyDictionary<string, string> Instruments => _instruments;

    /// <summary>The spans this worker recorded (not the in-process AppHost's own checks of PostgreSQL).</summary>
    public List<Activity> Spans()
    {
        lock (_spans)
        {
            return [.. _spans.Where(s => s.Source.Name != "Npgsql" || ((string?)s.GetTagItem("db.npgsql.data_source"))?.Contains(ApplicationName, StringComparison.Ordinal) == true)];
        }
    }

    public void ClearSpans()
    {
        lock (_spans)
        {
            _spans.Clear();
        }
    }

    public async Task PublishAsync(IReadOnlyList<byte[]> bodies)
    {
        await using var publisher = await SamplePublisher.ConnectAsync(
            (await _fixture.App.GetConnectionStringAsync(ConnectionNames.RabbitMQ))!, new MessagingOptions { Queue = Queue }, CancellationToken.None);
        using var cancel = new CancellationTokenSource(Within);
        await publisher.PublishAsync(bodies, 0, cancel.Token);
    }

    /// <summary>Stops the worker as SIGTERM does: readiness fails, the consumer is cancelled, in-flight messages drain.</summary>
    public async Task StopAsync() => await _host!.StopAsync().WaitAsync(Within);

    public async ValueTask DisposeAsync()
    {
        _meters.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync().WaitAsync(Within);
            _host.Dispose();
        }
    }

    private sealed class Recorder(ConcurrentQueue<string> lines, LogLevel minimum) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        // The exception's whole text, as a console or OTLP exporter writes it (its message, stack and inner ones).
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" {exception}")}");

        public void Dispose()
        {
        }
    }
}
