using MassTransit;
using PeerCommon;

namespace MassTransitPeer;

/// <summary>Stores each message once; a message that breaks the contract throws, and MassTransit moves it to the error queue.</summary>
public sealed class SampleMessageConsumer(PeerTable table) : IConsumer<SampleMessage>
{
    public async Task Consume(ConsumeContext<SampleMessage> context)
    {
        context.Message.Validate();
        await table.InsertAsync(context.Message, context.CancellationToken);
    }
}
