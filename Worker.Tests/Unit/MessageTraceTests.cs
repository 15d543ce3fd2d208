using System.Diagnostics;
using Worker.Messaging;
using Worker.Telemetry;

namespace Worker.Tests.Unit;

/// <summary>What the dashboard shows per message: its own trace, or the publisher's when the message carries one.</summary>
public sealed class MessageTraceTests : IDisposable
{
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == WorkerTelemetry.Name,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public MessageTraceTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public void Messages_without_a_traceparent_each_start_their_own_trace_even_inside_another_activity()
    {
        using var outer = new Activity("consumer loop").Start();

        using var first = MessageTrace.Start(Delivery(traceParent: null));
        using var second = MessageTrace.Start(Delivery(traceParent: null));

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(default, first.ParentSpanId);
        Assert.Equal(default, second.ParentSpanId);
        Assert.NotEqual(first.TraceId, second.TraceId);
        Assert.NotEqual(outer.TraceId, first.TraceId);
        Assert.Same(outer, Activity.Current);
    }

    [Fact]
    public void A_message_with_a_traceparent_continues_the_publishers_trace()
    {
        const string TraceId = "0af7651916cd43dd8448eb211c80319c";
        const string SpanId = "b7ad6b7169203331";

        using var activity = MessageTrace.Start(Delivery($"00-{TraceId}-{SpanId}-01"));

        Assert.Equal(TraceId, activity!.TraceId.ToHexString());
        Assert.Equal(SpanId, activity.ParentSpanId.ToHexString());
    }

    public void Dispose() => _listener.Dispose();

    private static Delivery Delivery(string? traceParent) => new(null!, 1, [], traceParent, 0);
}
