using System.Diagnostics;
using System.Threading.RateLimiting;
using RabbitMQ.Client;
using Worker.Contract;

namespace Worker.Messaging;

/// <summary>
/// One message as received, until it is acked. The body is copied, since the client reuses its buffer after the
/// handler returns, and the copy holds a lease on the in-flight byte budget. It is parsed once however often its
/// batch is attempted, and it remembers its outcome, so that a retried batch neither stores nor dead-letters it twice.
/// </summary>
/// <param name="refusal">Why it is dead-lettered unparsed (it is too large), or null.</param>
public sealed class Delivery(
    IChannel channel, ulong tag, byte[] body, string? traceParent, long receivedAt, RateLimitLease? bytes = null, ActivityContext deliverContext = default,
    string? refusal = null)
{
    private ParseResult? _parsed = refusal is null ? null : ParseResult.Invalid(refusal);

    /// <summary>The channel it came on: its tag means something on that channel only.</summary>
    public IChannel Channel { get; } = channel;

    public ulong Tag { get; } = tag;

    public byte[] Body { get; } = body;

    public string? TraceParent { get; } = traceParent;

    /// <summary>The client's own span of the delivery (<c>deliver</c>), when it recorded one: the message's trace hangs under it.</summary>
    public ActivityContext DeliverContext { get; } = deliverContext;

    public long ReceivedAt { get; } = receivedAt;

    public ParseResult Parsed => _parsed ??= MessageParser.Parse(Body);

    /// <summary>The message's trace, from the moment its batch forms until it is acked.</summary>
    public Activity? Trace { get; private set; }

    /// <summary>stored, duplicate or dead-lettered; null while there is still work to do for it.</summary>
    public string? Outcome { get; private set; }

    public bool IsDone => Outcome is not null;

    /// <summary>The reason of its confirmed dead letter, if it has one.</summary>
    public string? DeadLetterReason { get; private set; }

    public void StartTrace()
    {
        Trace = MessageTrace.Start(this);
    }

    public void MarkStored(string id, bool isNew)
    {
        Outcome = isNew ? "stored" : "duplicate";
        Trace?.SetTag("worker.message.id", id).SetTag("worker.outcome", Outcome);
    }

    public void MarkDeadLettered(string reason)
    {
        Outcome = "dead-lettered";
        DeadLetterReason = reason;
        Trace?.SetTag("worker.outcome", Outcome).SetTag("worker.dead_letter_reason", reason);
    }

    /// <summary>Gives its bytes back to the in-flight budget and ends its trace.</summary>
    public void Complete()
    {
        bytes?.Dispose();
        Trace?.Dispose();
    }
}
