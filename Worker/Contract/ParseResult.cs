namespace Worker.Contract;

/// <summary>The outcome of reading one body: a valid message, or the reason it goes to the dead-letter queue.</summary>
public readonly record struct ParseResult(WorkMessage? Message, string? Reason)
{
    public static ParseResult Valid(WorkMessage message) => new(message, null);

    public static ParseResult Invalid(string reason) => new(null, reason);
}
