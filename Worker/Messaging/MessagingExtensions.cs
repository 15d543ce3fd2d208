using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Worker.Storage;
using Worker.Telemetry;

namespace Worker.Messaging;

public static class MessagingExtensions
{
    /// <summary>The message pipeline and its storage. <see cref="PipelineStatus"/> says how it is doing.</summary>
    public static IHostApplicationBuilder AddMessagePipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .BindConfiguration(MessagingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptionsRules<MessagingOptions>((options, sp) => options.Validate(sp.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout));

        // The client's deliver span continues the publisher's trace rather than only linking to it, so that a message
        // is one trace from publish to insert. It is the client's process-wide setting.
        RabbitMQActivitySource.TracingOptions = new RabbitMQTracingOptions { UsePublisherAsParent = true };

        builder.Services.AddSingleton<WorkerTelemetry>();
        builder.Services.AddSingleton<PipelineStatus>();
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddSingleton<IMessageStore, MessageStore>();
        builder.Services.AddSingleton<DedupMarkWrites>();
        builder.Services.AddSingleton<IDedupCache, DedupCache>();
        builder.Services.AddSingleton<QueueTopology>();
        builder.Services.AddSingleton<IQueueDepth, QueueDepth>();
        builder.Services.AddSingleton<IDeadLetterPublisher, DeadLetterPublisher>();
        builder.Services.AddSingleton<InFlightWindow>();
        builder.Services.AddSingleton<DeliveryReceiver>();
        builder.Services.AddSingleton<BatchProcessor>();
        builder.Services.AddSingleton<BatchAttempts>();
        builder.Services.AddSingleton<BatchLoop>();
        builder.Services.AddSingleton<ConsumerRegistration>();
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService<MessageConsumer>();
        return builder;
    }
}
