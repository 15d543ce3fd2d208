using Polly;

namespace Worker.Messaging;

/// <summary>Exponential backoff with jitter, 0.2 s to 5 s, that gives up only when its token is cancelled.</summary>
public static class Backoff
{
    public static ResiliencePipeline Forever(TimeProvider time, Func<Exception, bool> shouldRetry, Action<Exception?, int, TimeSpan> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new()
            {
                ShouldHandle = new PredicateBuilder().Handle(shouldRetry),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    onRetry(args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
}
