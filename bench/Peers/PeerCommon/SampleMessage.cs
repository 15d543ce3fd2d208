using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace PeerCommon;

/// <summary>
/// The worker's message contract as a plain class, the way a framework user writes it: the framework deserializes
/// the body into it, and <see cref="Validate"/> refuses what the contract refuses (the poison of the fault table).
/// </summary>
public sealed class SampleMessage
{
    public string? Id { get; set; }

    public string? Type { get; set; }

    public JsonElement Payload { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

    /// <exception cref="InvalidMessageException">A field is missing or of the wrong kind.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Id) || string.IsNullOrEmpty(Type) || Payload.ValueKind != JsonValueKind.Object || Timestamp is null)
        {
            throw new InvalidMessageException($"message {Id ?? "(no id)"} breaks the contract: id, type, an object payload and a timestamp are required");
        }

        // System.Text.Json hands a JsonElement over without checking the UTF-8 inside its strings; reading its text
        // later would throw, so a body that is not UTF-8 is refused here, as the worker refuses it.
        if (!Utf8.IsValid(JsonMarshal.GetRawUtf8Value(Payload)))
        {
            throw new InvalidMessageException($"message {Id} breaks the contract: its payload is not UTF-8");
        }
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
}

/// <summary>A message that no retry can store: it goes to the error queue at once.</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
