namespace Worker.Messaging;

/// <summary>One message as received: the body is copied, since the client reuses its buffer after the handler returns.</summary>
public sealed record Delivery(ulong Tag, byte[] Body, string? TraceParent, long ReceivedAt);
