using PeerCommon;

namespace WolverinePeer;

/// <summary>Stores each message once; a message that breaks the contract throws, and Wolverine moves it to its dead-letter queue.</summary>
public static class SampleMessageHandler
{
    public static async Task Handle(SampleMessage message, PeerTable table, CancellationToken ct)
    {
        message.Validate();
        await table.InsertAsync(message, ct);
    }
}
