using RabbitMQ.Client;

namespace Worker.Messaging;

/// <summary>A consumer registered on a channel of its own, and the task that completes, with the reason, when it is lost.</summary>
public sealed record RegisteredConsumer(IChannel Channel, string Tag, Task<string> Lost);
