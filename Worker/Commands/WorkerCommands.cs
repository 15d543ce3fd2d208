using System.Globalization;
using OpenTelemetry.Trace;
using Worker.Messaging;

namespace Worker.Commands;

/// <summary>
/// Command-line verbs beside serving. <c>publish</c> sends sample messages for people and benchmarks:
/// <c>Worker publish --count 1000 [--rate 200] [--duplicates 0.1] [--malformed 0.05] [--queue work] [--queue-type quorum] [--connection amqp://...]</c>.
/// </summary>
public static class WorkerCommands
{
    public const string Publish = "publish";

    public static async Task<int> PublishAsync(string[] args)
    {
        Dictionary<string, string> options;
        PublishPlan plan;
        double rate;
        try
        {
            options = ParseOptions(args, ["count", "rate", "duplicates", "malformed", "queue", "queue-type", "connection", "seed"]);
            plan = new PublishPlan(
                Count: Number(options, "count", 1, int.MaxValue, required: true),
                DuplicateShare: Share(options, "duplicates"),
                MalformedShare: Share(options, "malformed"),
                IdPrefix: $"sample-{DateTime.UtcNow:yyyyMMddHHmmss}",
                Seed: Number(options, "seed", 0, int.MaxValue, required: false, fallback: 1));
            rate = options.TryGetValue("rate", out var r) ? Parse(r, "rate", 0, 1_000_000) : 0;
            if (plan.DuplicateShare + plan.MalformedShare > 1)
            {
                throw new ArgumentException("--duplicates and --malformed add up to more than 1.");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"publish: {ex.Message}{Environment.NewLine}{Usage}");
            return 2;
        }

        var connection = options.GetValueOrDefault("connection") ?? Environment.GetEnvironmentVariable("ConnectionStrings__rabbitmq");
        if (string.IsNullOrWhiteSpace(connection))
        {
            await Console.Error.WriteLineAsync($"publish: no broker: pass --connection or set ConnectionStrings__rabbitmq.{Environment.NewLine}{Usage}");
            return 2;
        }

        // Each publish is a span that the message carries on (traceparent), so that the dashboard shows one trace per
        // message from here to its insert. Exported where the AppHost or the environment names a collector.
        using var tracing = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
            ? null
            : OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource(RabbitMQ.Client.RabbitMQActivitySource.PublisherSourceName).AddOtlpExporter().Build();
        var (bodies, ids, malformed) = SampleMessages.Build(plan);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var topology = new MessagingOptions { Queue = options.GetValueOrDefault("queue") ?? new MessagingOptions().Queue, QueueType = options.GetValueOrDefault("queue-type") ?? new MessagingOptions().QueueType };
        await using var publisher = await SamplePublisher.ConnectAsync(connection, topology, cancel.Token);
        await publisher.PublishAsync(bodies, rate, cancel.Token);
        Console.WriteLine($"published {bodies.Count} messages: {ids.Count} distinct ids, {bodies.Count - ids.Count - malformed} duplicates, {malformed} malformed");
        return 0;
    }

    private const string Usage =
        "usage: Worker publish --count N [--rate PER_SECOND] [--duplicates SHARE] [--malformed SHARE] [--queue NAME] [--queue-type quorum|classic] [--connection AMQP_URI] [--seed N]";

    private static Dictionary<string, string> ParseOptions(string[] args, string[] known)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : throw new ArgumentException($"unexpected '{args[i]}'.");
            if (!known.Contains(name))
            {
                throw new ArgumentException($"unknown option --{name}.");
            }

            options[name] = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"--{name} needs a value.");
        }

        return options;
    }

    private static int Number(Dictionary<string, string> options, string name, int min, int max, bool required, int fallback = 0) =>
        options.TryGetValue(name, out var value) ? (int)Parse(value, name, min, max)
        : required ? throw new ArgumentException($"--{name} is required.")
        : fallback;

    private static double Share(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? Parse(value, name, 0, 1) : 0;

    private static double Parse(string value, string name, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new ArgumentException($"--{name} must be a number from {min} to {max}, not '{value}'.");
}
