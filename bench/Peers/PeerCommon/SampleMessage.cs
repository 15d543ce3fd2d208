using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace PeerCommon;

/// <summary>
/// The worker's message contract as a plain class, the way a framework user writes it: the framework deserializes
/// the body into it, and <see cref="Validate"/> refuses what the worker's parser refuses, so that every contender
/// stores the same rows and refuses the same poison.
/// </summary>
public sealed partial class SampleMessage
{
    public string? Id { get; set; }

    public string? Type { get; set; }

    public JsonElement Payload { get; set; }

    // A string, because System.Text.Json reads a date-time without an offset as local time, which the contract refuses.
    public string? Timestamp { get; set; }

    // The members the contract does not name: System.Text.Json skips them unless they are kept somewhere.
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }

    /// <summary>The timestamp, once <see cref="Validate"/> has read it.</summary>
    [JsonIgnore]
    public DateTimeOffset At { get; private set; }

    /// <exception cref="InvalidMessageException">The message breaks the contract.</exception>
    public void Validate()
    {
        var reason = this switch
        {
            { Unknown.Count: > 0 } => "it has members the contract does not name",
            { Id: null } or { Type: null } or { Timestamp: null } => "id, type, payload and timestamp are required",
            _ when !IdPattern().IsMatch(Id) => "the id must be 1-128 letters, digits, '.', '_', ':' or '-'",
            _ when !TypePattern().IsMatch(Type) => "the type must be 1-100 letters, digits, '.', '_' or '-'",
            { Payload.ValueKind: not JsonValueKind.Object } => "the payload must be a JSON object",
            // System.Text.Json hands a JsonElement over without checking the UTF-8 inside its strings, and reading
            // its text later would throw.
            _ when !Utf8.IsValid(JsonMarshal.GetRawUtf8Value(Payload)) => "its payload is not UTF-8",
            _ when !TimestampPattern().IsMatch(Timestamp)
                || !DateTimeOffset.TryParse(Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) =>
                "the timestamp must be an ISO 8601 date-time with an offset",
            _ => null,
        };
        if (reason is not null)
        {
            throw new InvalidMessageException($"message {Id ?? "(no id)"} breaks the contract: {reason}");
        }

        At = DateTimeOffset.Parse(Timestamp!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    }

    /// <summary>Parses and validates a body, for the consumers that have no framework to deserialize it.</summary>
    public static SampleMessage Parse(ReadOnlyMemory<byte> body)
    {
        SampleMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<SampleMessage>(body.Span, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidMessageException($"not JSON: {ex.Message}");
        }

        (message ?? throw new InvalidMessageException("the body is JSON null")).Validate();
        return message;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    // The worker's own patterns (Worker/Contract/MessageParser.cs).
    [GeneratedRegex(@"\A[A-Za-z0-9._:-]{1,128}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,100}\z")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})\z")]
    private static partial Regex TimestampPattern();
}

/// <summary>A message that no retry can store: it goes to the error queue at once.</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
