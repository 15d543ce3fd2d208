using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Worker.Tests.Integration;

/// <summary>Keeps the last lines each resource logged, so a test that times out can say what the app was doing.</summary>
public sealed class ResourceLogs
{
    private const int Keep = 1000;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _lines = new();

    public void Follow(DistributedApplication app, string resource, CancellationToken stop)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource);
        var lines = _lines.GetOrAdd(resource, _ => new());
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in logs.WatchAsync(model).WithCancellation(stop))
                {
                    foreach (var line in batch)
                    {
                        lines.Enqueue(line.Content);
                        while (lines.Count > Keep && lines.TryDequeue(out _))
                        {
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, stop);
    }

    public IReadOnlyList<string> Lines(string resource) => _lines.TryGetValue(resource, out var lines) ? [.. lines] : [];

    public string Tail(string resource) =>
        _lines.TryGetValue(resource, out var lines) ? string.Join(Environment.NewLine, lines.TakeLast(60)) : "(no lines)";
}
