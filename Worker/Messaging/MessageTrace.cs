using System.Diagnostics;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>
/// One trace per message. Its <c>process message</c> span hangs under the client's <c>deliver</c> span, which itself
/// continues the publisher's trace when the message carries one (RabbitMQ.Client's UsePublisherAsParent, set in
/// MessagingExtensions). Without a deliver span it continues the message's own <c>traceparent</c>, else starts a trace.
/// </summary>
public static class MessageTrace
{
    public static Activity? Start(Delivery delivery)
    {
        var parent = delivery.DeliverContext;
        if (parent == default)
        {
            ActivityContext.TryParse(delivery.TraceParent, null, out parent);
        }

        var current = Activity.Current;
        // With no parent given, StartActivity would take Activity.Current, and each new activity becomes current: every
        // message of a batch would then sit in one trace, under the message before it.
        Activity.Current = null;
        try
        {
            return WorkerTelemetry.Source.StartActivity("process message", ActivityKind.Consumer, parent);
        }
        finally
        {
            Activity.Current = current;
        }
    }
}
