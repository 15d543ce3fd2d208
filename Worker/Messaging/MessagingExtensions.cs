using Microsoft.Extensions.Options;
using ServiceDefaults.Probes;
using Worker.Health;
using Worker.Storage;
using Worker.Telemetry;

namespace Worker.Messaging;

public static class MessagingExtensions
{
    /// <summary>The message pipeline, its storage, and the health checks that say whether it makes progress.</summary>
    public static IHostApplicationBuilder AddMessagePipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .BindConfiguration(MessagingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptionsRules<MessagingOptions>((options, sp) => options.Validate(sp.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout));

        builder.Services.AddSingleton<WorkerTelemetry>();
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddSingleton<MessageStore>();
        builder.Services.AddSingleton<DedupCache>();
        builder.Services.AddSingleton<QueueTopology>();
        builder.Services.AddSingleton<DeadLetterPublisher>();
        builder.Services.AddSingleton<BatchProcessor>();
        builder.Services.AddSingleton<StartupProgress>();
        builder.Services.AddSingleton<HandlerWatchdog>();
        builder.Services.AddSingleton<MessageConsumer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MessageConsumer>());

        builder.Services.AddHealthChecks()
            .AddCheck<StartupProgress>("worker-startup")
            .AddCheck<HandlerWatchdog>("message-handlers", tags: [ProbeTags.Live])
            .AddCheck<ConsumerChannelHealthCheck>("consumer-channel", tags: [ProbeTags.Live]);

        return builder;
    }
}
