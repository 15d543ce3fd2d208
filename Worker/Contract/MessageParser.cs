using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace Worker.Contract;

/// <summary>
/// Strict validation of the message contract. It refuses at the door what PostgreSQL could not store (invalid UTF-8,
/// <c>\u0000</c>, unpaired surrogates), so that such a body never reaches a batch. Nothing refused here is retried.
/// </summary>
public static partial class MessageParser
{
    public const int MaxIdLength = 128;
    public const int MaxTypeLength = 100;

    public static ParseResult Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return Utf8.IsValid(body.Span) ? ParseJson(body) : ParseResult.Invalid("invalid-utf8: the body is not valid UTF-8");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever this parser did not foresee is still this body's fault, and only this body's.
            return ParseResult.Invalid($"unreadable: {ex.GetType().Name}");
        }
    }

    private static ParseResult ParseJson(ReadOnlyMemory<byte> body)
    {
        if (UnstorableString(body.Span) is { } unstorable)
        {
            return ParseResult.Invalid(unstorable);
        }

        WireMessage? wire;
        try
        {
            wire = JsonSerializer.Deserialize(body.Span, WireMessageJson.Default.WireMessage);
        }
        catch (JsonException ex)
        {
            return ParseResult.Invalid($"invalid-json: {Redacted(ex)}");
        }

        var problem = wire switch
        {
            null => "invalid-json: the body is null",
            { Id: null } => "null-field: id must not be null",
            { Type: null } => "null-field: type must not be null",
            { Timestamp: null } => "null-field: timestamp must not be null",
            { Payload.Kind: JsonValueKind.Null } => "null-field: payload must not be null",
            { Id: var id } when !IdPattern().IsMatch(id) =>
                $"invalid-id: must be 1-{MaxIdLength} letters, digits, '.', '_', ':' or '-', and nothing else",
            { Type: var type } when !TypePattern().IsMatch(type) =>
                $"invalid-type: must be 1-{MaxTypeLength} letters, digits, '.', '_' or '-', and nothing else",
            { Payload.Kind: not JsonValueKind.Object } => "invalid-payload: must be a JSON object",
            _ => null,
        };
        if (problem is not null)
        {
            return ParseResult.Invalid(problem);
        }

        return ParseTimestamp(wire!.Timestamp!) is { } timestamp
            ? ParseResult.Valid(new WorkMessage(wire.Id!, wire.Type!, body.Slice(wire.Payload.Start, wire.Payload.Length), timestamp))
            : ParseResult.Invalid("invalid-timestamp: must be an ISO 8601 date-time with an offset, such as 2026-11-28T10:00:00Z");
    }

    // PostgreSQL's text and jsonb refuse U+0000 (22P05) and unpaired surrogate escapes (22P02), which JSON allows.
    // Both can only be written as \u escapes in valid UTF-8, so a body without "\u" needs no walk.
    private static string? UnstorableString(ReadOnlySpan<byte> body)
    {
        if (body.IndexOf("\\u"u8) < 0)
        {
            return null;
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    if (reader.GetString()!.Contains('\0', StringComparison.Ordinal))
                    {
                        return "invalid-string: \\u0000 cannot be stored";
                    }
                }
            }
        }
        catch (InvalidOperationException)
        {
            return "invalid-string: an unpaired surrogate escape (\\uD800-\\uDFFF) cannot be stored";
        }
        catch (JsonException)
        {
            return null; // not JSON at all: the deserializer gives the precise reason
        }

        return null;
    }

    // A reason goes to logs and spans, so it never quotes the body: the serializer's messages quote what they read
    // ('…' is an invalid start of a value; the JSON property '…' could not be mapped), and its paths name properties.
    // Everything from the first quote to the last goes, since a quoted name can hold quotes of its own.
    private static string Redacted(JsonException ex)
    {
        var what = QuotedPattern().Replace(ex.Message.Split(" Path: ")[0].Split(" | LineNumber")[0], "'…'").TrimEnd('.');
        return ex.BytePositionInLine is { } position ? $"{what} (at byte {position + 1})" : what;
    }

    private static DateTimeOffset? ParseTimestamp(string value) =>
        TimestampPattern().IsMatch(value)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var timestamp)
            ? timestamp
            : null;

    [GeneratedRegex("'.*'", RegexOptions.Singleline)]
    private static partial Regex QuotedPattern();

    // \z, not $: in .NET, $ also matches before a final line break.
    [GeneratedRegex(@"\A[A-Za-z0-9._:-]{1,128}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,100}\z")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})\z")]
    private static partial Regex TimestampPattern();
}
