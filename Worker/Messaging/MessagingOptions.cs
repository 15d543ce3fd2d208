using System.ComponentModel.DataAnnotations;

namespace Worker.Messaging;

/// <summary>The message pipeline's settings, bound from the <c>Messaging</c> configuration section.</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    [Required, RegularExpression("^[A-Za-z0-9._-]{1,200}$", ErrorMessage = "Messaging:Queue must be 1-200 letters, digits, '.', '_' or '-'.")]
    public string Queue { get; set; } = "work";

    /// <summary>
    /// <c>quorum</c> (the default): the broker counts deliveries and dead-letters a message delivered more than
    /// <see cref="DeliveryLimit"/> times, so a message that kills the process cannot crash every replica in turn.
    /// <c>classic</c>: for a deployment whose queue already exists as a classic one (see README).
    /// </summary>
    [Required, RegularExpression("^(quorum|classic)$", ErrorMessage = "Messaging:QueueType must be quorum or classic.")]
    public string QueueType { get; set; } = "quorum";

    /// <summary>Whether the work queue, and so its dead-letter and probe queues, are quorum queues.</summary>
    public bool IsQuorum => QueueType == "quorum";

    /// <summary>Deliveries of one message before a quorum queue dead-letters it (x-delivery-limit).</summary>
    [Range(1, 1000, ErrorMessage = "Messaging:DeliveryLimit must be 1-1000.")]
    public int DeliveryLimit { get; set; } = 20;

    /// <summary>
    /// Unacked messages the broker may send ahead: the window that batches are cut from. RabbitMQ counts it in
    /// messages only, and the client holds what it was sent before the handler sees it: up to Prefetch bodies as large
    /// as the broker accepts (its max_message_size, 128 KiB as the AppHost sets it: 64 MiB). Bench P6 measures it;
    /// 1024 drained faster but held too much for the pod's limit.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Messaging:Prefetch must be 1-10000.")]
    public ushort Prefetch { get; set; } = 512;

    [Range(1, 5_000, ErrorMessage = "Messaging:BatchSize must be 1-5000.")]
    public int BatchSize { get; set; } = 256;

    /// <summary>
    /// Batches processed at once: while one waits for PostgreSQL's commit, the next is parsed and deduplicated. Each
    /// is acked after the one before it, so an ack never covers a message whose row is not committed.
    /// </summary>
    [Range(1, 8, ErrorMessage = "Messaging:BatchesInFlight must be 1-8.")]
    public int BatchesInFlight { get; set; } = 2;

    /// <summary>How long a batch waits to fill once its first message arrived.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>A larger body is dead-lettered unparsed by its batch (the broker's max_message_size bounds how large).</summary>
    [Range(64, 16 * 1024 * 1024, ErrorMessage = "Messaging:MaxBodyBytes must be 64 B - 16 MiB.")]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The bytes of bodies received and not yet acked; the consumer waits for room beyond it.</summary>
    [Range(64, 1024 * 1024 * 1024, ErrorMessage = "Messaging:MaxInFlightBytes must be 64 B - 1 GiB.")]
    public int MaxInFlightBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The bytes of bodies in one batch, beside its count.</summary>
    [Range(64, 1024 * 1024 * 1024, ErrorMessage = "Messaging:MaxBatchBytes must be 64 B - 1 GiB.")]
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long Redis remembers a stored id, to skip its duplicates without asking Postgres.</summary>
    public TimeSpan DedupTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A bound on one attempt at a batch or at registering a consumer; a failed attempt is retried with backoff.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A handler running longer than this means the process cannot make progress: liveness fails.</summary>
    public TimeSpan StuckHandlerThreshold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// No consumer for this long while the broker's connection is open (it keeps failing to consume again): liveness
    /// fails. A broker outage never counts: the connection is then down.
    /// </summary>
    public TimeSpan ConsumerLostThreshold { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// On SIGTERM, how long in-flight messages get to finish; below the host's shutdown timeout (30 s), and below
    /// the ~15 s that Aspire's orchestrator waits before it kills a process it stops.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public string DeadLetterExchange => $"{Queue}.dlx";

    public string DeadLetterQueue => $"{Queue}.dead-letter";

    /// <summary>Where the readiness probe writes: replicated like the work queue, holding at most one empty message.</summary>
    public string ProbeQueue => $"{Queue}.probe";

    internal IEnumerable<string> Validate(TimeSpan shutdownTimeout)
    {
        if (BatchSize > Prefetch)
        {
            yield return $"Messaging:BatchSize ({BatchSize}) must not exceed Messaging:Prefetch ({Prefetch}).";
        }

        if (BatchWindow < TimeSpan.Zero || BatchWindow > TimeSpan.FromSeconds(5))
        {
            yield return $"Messaging:BatchWindow is {BatchWindow}, but it must be 0-5 s.";
        }

        if (AttemptTimeout <= TimeSpan.Zero || AttemptTimeout >= StuckHandlerThreshold)
        {
            yield return $"Messaging:AttemptTimeout ({AttemptTimeout}) must be above zero and below Messaging:StuckHandlerThreshold ({StuckHandlerThreshold}).";
        }

        if (DrainTimeout <= TimeSpan.Zero || DrainTimeout >= shutdownTimeout)
        {
            yield return $"Messaging:DrainTimeout ({DrainTimeout}) must be above zero and below the host's shutdown timeout ({shutdownTimeout}).";
        }

        if (MaxInFlightBytes < MaxBodyBytes || MaxBatchBytes < MaxBodyBytes)
        {
            yield return $"Messaging:MaxInFlightBytes ({MaxInFlightBytes}) and Messaging:MaxBatchBytes ({MaxBatchBytes}) must be at least Messaging:MaxBodyBytes ({MaxBodyBytes}).";
        }

        if (MaxBatchBytes > MaxInFlightBytes)
        {
            yield return $"Messaging:MaxBatchBytes ({MaxBatchBytes}) must not exceed Messaging:MaxInFlightBytes ({MaxInFlightBytes}).";
        }

        if (ConsumerLostThreshold < TimeSpan.FromSeconds(10))
        {
            yield return $"Messaging:ConsumerLostThreshold ({ConsumerLostThreshold}) must be at least 10 s.";
        }

        if (DedupTtl < TimeSpan.FromSeconds(1))
        {
            yield return $"Messaging:DedupTtl ({DedupTtl}) must be at least 1 s.";
        }
    }
}
