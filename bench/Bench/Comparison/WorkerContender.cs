using Aspire.Hosting.ApplicationModel;
using Harness;
using Worker.Messaging;

namespace Bench.Comparison;

/// <summary>This worker, as the app runs it: the first worker resource, started and stopped through Aspire's commands.</summary>
public sealed class WorkerContender(BenchApp app) : Contender(Title)
{
    public const string Title = "this worker";

    private static readonly MessagingOptions Defaults = new();

    // The queue type it consumes now; null while it is down. The app starts it on the default queue.
    private string? _runningOn = Defaults.QueueType;

    public override string Table => "messages";

    public override string? ErrorQueue => Defaults.DeadLetterQueue;

    public override Uri? Ready => app.ProxiedProbe("/internal/ready");

    public override Uri? Alive => app.ProxiedProbe("/internal/alive");

    public override bool IsRunning => app.TryProcessId("worker") is not null;

    public override int ProcessId => app.WorkerProcessId();

    // The work queue's type cannot change once declared, so another type is another queue.
    public override string Queue(string queueType) => queueType == Defaults.QueueType ? Defaults.Queue : $"work-{queueType}";

    public override async Task StartAsync(string queueType)
    {
        // It may have exited by itself: the resource's state, not only what was asked of it, says whether it runs.
        if (_runningOn == queueType && app.TryProcessId("worker") is not null)
        {
            return;
        }

        await StopAsync();

        if (queueType == Defaults.QueueType)
        {
            app.WorkerSettings.Remove("Messaging__Queue");
            app.WorkerSettings.Remove("Messaging__QueueType");
        }
        else
        {
            app.WorkerSettings["Messaging__Queue"] = Queue(queueType);
            app.WorkerSettings["Messaging__QueueType"] = queueType;
        }

        await app.ExecuteCommandAsync("worker", "resource-start");
        await app.WaitForHealthyAsync("worker");
        _runningOn = queueType;
    }

    public override async Task StopAsync()
    {
        if (app.TryProcessId("worker") is not null)
        {
            await app.ExecuteCommandAsync("worker", "resource-stop");
        }

        _runningOn = null;
    }

    public override async Task SignalAsync(string signal)
    {
        _runningOn = null;
        await ProcessTree.SignalAsync(app.WorkerProcessId(), signal);
        using var exited = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await app.App.ResourceNotifications.WaitForResourceAsync("worker", [KnownResourceStates.Exited, KnownResourceStates.Finished], exited.Token);
    }

    /// <summary>Leaves the worker on its default queue, as the other figures expect it.</summary>
    public override async ValueTask DisposeAsync() => await StartAsync(Defaults.QueueType);
}
