using System.CommandLine;
using OpenTelemetry.Trace;
using Worker.Messaging;

namespace Worker.Commands;

/// <summary>
/// <c>Worker publish --count N [--rate R] [--duplicates S] [--malformed S] [--queue Q] [--queue-type T] [--connection URI] [--seed N]</c>:
/// sends sample messages, for people trying the worker and for the benchmarks.
/// </summary>
public static class PublishCommand
{
    public const string Name = "publish";

    public const string Usage =
        "usage: Worker publish --count N [--rate PER_SECOND] [--duplicates SHARE] [--malformed SHARE] [--queue NAME] [--queue-type quorum|classic] [--connection AMQP_URI] [--seed N]";

    public static Command Create()
    {
        var defaults = new MessagingOptions();
        var count = new Option<int>("--count") { Description = "How many messages to send.", Required = true };
        count.Within(1, int.MaxValue);
        var rate = new Option<double>("--rate") { Description = "Messages per second; 0, the default, as fast as the broker confirms." };
        rate.Within(0, 1_000_000);
        var duplicates = new Option<double>("--duplicates") { Description = "The share of messages that repeat an id sent before (0 to 1)." };
        duplicates.Within(0, 1);
        var malformed = new Option<double>("--malformed") { Description = "The share of poison messages, of every kind the worker refuses (0 to 1)." };
        malformed.Within(0, 1);
        var queue = new Option<string>("--queue") { Description = "The work queue.", DefaultValueFactory = _ => defaults.Queue };
        var queueType = new Option<string>("--queue-type") { Description = "The queue's type, as the worker declares it.", DefaultValueFactory = _ => defaults.QueueType };
        queueType.AcceptOnlyFromAmong("quorum", "classic");
        var connection = new Option<string?>("--connection") { Description = "The broker's AMQP URI; ConnectionStrings__rabbitmq when not given." };
        var seed = new Option<int>("--seed") { Description = "The seed of the random choices, for repeatable runs.", DefaultValueFactory = _ => 1 };
        seed.Within(0, int.MaxValue);

        var command = new Command(Name, "Sends sample messages to the work queue.") { count, rate, duplicates, malformed, queue, queueType, connection, seed };
        command.SetAction((parsed, ct) => RunAsync(
            new PublishPlan(parsed.GetValue(count), parsed.GetValue(duplicates), parsed.GetValue(malformed), $"sample-{DateTime.UtcNow:yyyyMMddHHmmss}", parsed.GetValue(seed)),
            parsed.GetValue(rate),
            new MessagingOptions { Queue = parsed.GetValue(queue)!, QueueType = parsed.GetValue(queueType)! },
            parsed.GetValue(connection) ?? Environment.GetEnvironmentVariable("ConnectionStrings__rabbitmq"),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(PublishPlan plan, double rate, MessagingOptions topology, string? connection, CancellationToken ct)
    {
        if (plan.DuplicateShare + plan.MalformedShare > 1)
        {
            return await WorkerCommandLine.UsageErrorAsync(Name, "--duplicates and --malformed add up to more than 1.", Usage);
        }

        if (string.IsNullOrWhiteSpace(connection))
        {
            return await WorkerCommandLine.UsageErrorAsync(Name, "no broker: pass --connection or set ConnectionStrings__rabbitmq.", Usage);
        }

        // Each publish is a span that the message carries on (traceparent), so that the dashboard shows one trace per
        // message from here to its insert. Exported where the AppHost or the environment names a collector.
        using var tracing = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
            ? null
            : OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource(RabbitMQ.Client.RabbitMQActivitySource.PublisherSourceName).AddOtlpExporter().Build();
        var (bodies, ids, malformed) = SampleMessages.Build(plan);
        await using var publisher = await SamplePublisher.ConnectAsync(connection, topology, ct);
        await publisher.PublishAsync(bodies, rate, ct);
        Console.WriteLine($"published {bodies.Count} messages: {ids.Count} distinct ids, {bodies.Count - ids.Count - malformed} duplicates, {malformed} malformed");
        return 0;
    }
}
