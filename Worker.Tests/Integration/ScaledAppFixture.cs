namespace Worker.Tests.Integration;

/// <summary>
/// A second app, for what the shared one must not be put through: two workers on one queue, and a broker whose
/// consumer timeout is 5 s instead of 30 minutes.
/// </summary>
public sealed class ScaledAppFixture : AppFixture
{
    public static readonly TimeSpan ConsumerTimeout = TimeSpan.FromSeconds(5);

    protected override string[] Arguments =>
        ["--BackingServices:Mode=processes", "--Worker:Replicas=2", $"--BackingServices:RabbitMQ:ConsumerTimeout={ConsumerTimeout:c}"];

    protected override bool Dashboard => false;
}

[CollectionDefinition(nameof(ScaledAppCollection))]
public sealed class ScaledAppCollection : ICollectionFixture<ScaledAppFixture>;
