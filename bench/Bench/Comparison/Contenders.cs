namespace Bench.Comparison;

/// <summary>The contenders of the comparison, this worker first, and the queues their frameworks dead-letter to.</summary>
public static class Contenders
{
    public const string Minimal = "minimal consumer";

    public static List<Contender> Create(BenchApp app, Broker broker, IReadOnlyDictionary<string, string> connectionStrings) =>
    [
        new WorkerContender(app),
        new PeerContender("MassTransit 8.5.12", "MassTransitPeer", "masstransit", broker, connectionStrings,
            ("/internal/ready", "/internal/alive"), queue => $"{queue}_error"),
        new PeerContender("Wolverine 6.62", "WolverinePeer", "wolverine", broker, connectionStrings,
            ("/internal/ready", "/internal/alive"), _ => "wolverine-dead-letter-queue"),
        // The template maps its probes in Development only: that is where a user meets them.
        new PeerContender("Aspire template", "TemplatePeer", "template", broker, connectionStrings,
            ("/health", "/alive"), _ => null, new() { ["ASPNETCORE_ENVIRONMENT"] = "Development" }),
        new PeerContender(Minimal, "MinimalPeer", "minimal", broker, connectionStrings, null, _ => null),
    ];
}
