using System.Diagnostics;
using Worker.Telemetry;

namespace Worker.Messaging;

/// <summary>One trace per message: it continues the publisher's trace when the message carries one, else starts its own.</summary>
public static class MessageTrace
{
    public static Activity? Start(Delivery delivery)
    {
        ActivityContext.TryParse(delivery.TraceParent, null, out var parent);
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
