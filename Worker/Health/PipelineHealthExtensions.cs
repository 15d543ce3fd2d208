using ServiceDefaults.Probes;

namespace Worker.Health;

public static class PipelineHealthExtensions
{
    /// <summary>
    /// The checks that say whether the pipeline makes progress. They read <see cref="Messaging.PipelineStatus"/>;
    /// liveness ones (tagged <see cref="ProbeTags.Live"/>) fail only where a restart helps.
    /// </summary>
    public static IHostApplicationBuilder AddPipelineHealthChecks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ProgressHealthCheck>();
        builder.Services.AddHealthChecks()
            .AddCheck<ConsumerHealthCheck>("consumer")
            .AddCheck<ProgressHealthCheck>("progress")
            .AddCheck<BrokerFlowHealthCheck>("broker-flow")
            .AddCheck<HandlerWatchdog>("message-handlers", tags: [ProbeTags.Live])
            .AddCheck<ConsumerLivenessCheck>("consumer-liveness", tags: [ProbeTags.Live]);
        return builder;
    }
}
