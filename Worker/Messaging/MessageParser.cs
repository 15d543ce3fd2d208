using System.Text.Json;
using System.Text.RegularExpressions;

namespace Worker.Messaging;

/// <summary>The outcome of reading one body: a valid message, or the reason it goes to the dead-letter queue.</summary>
public readonly record struct ParseResult(WorkMessage? Message, string? Reason)
{
    public static ParseResult Valid(WorkMessage message) => new(message, null);

    public static ParseResult Invalid(string reason) => new(null, reason);
}

/// <summary>Strict validation of the message contract. Nothing that fails here is ever retried.</summary>
public static partial class MessageParser
{
    public const int MaxIdLength = 128;
    public const int MaxTypeLength = 100;

    public static ParseResult Parse(ReadOnlySpan<byte> body, int maxBodyBytes)
    {
        if (body.Length > maxBodyBytes)
        {
            return ParseResult.Invalid($"body-too-large: {body.Length} bytes, the limit is {maxBodyBytes}");
        }

        WorkMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(body, WorkMessageJson.Default.WorkMessage);
        }
        catch (JsonException ex)
        {
            return ParseResult.Invalid($"invalid-json: {ex.Message}");
        }

        return message switch
        {
            null => ParseResult.Invalid("invalid-json: the body is null"),
            { Id: var id } when !IdPattern().IsMatch(id) =>
                ParseResult.Invalid($"invalid-id: must be 1-{MaxIdLength} letters, digits, '.', '_', ':' or '-'"),
            { Type: var type } when !TypePattern().IsMatch(type) =>
                ParseResult.Invalid($"invalid-type: must be 1-{MaxTypeLength} letters, digits, '.', '_' or '-'"),
            { Payload.ValueKind: not JsonValueKind.Object } => ParseResult.Invalid("invalid-payload: must be a JSON object"),
            { Timestamp: var timestamp } when timestamp == default => ParseResult.Invalid("invalid-timestamp: missing"),
            _ => ParseResult.Valid(message),
        };
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex TypePattern();
}
