using System.Text.Json;
using System.Text.Json.Serialization;

namespace Worker.Contract;

/// <summary>
/// Where a JSON value sits in the body it was read from. The payload is stored as those very bytes, so a large body
/// is neither cloned into a document nor turned into a UTF-16 string on its way to PostgreSQL.
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(int Start, int Length, JsonValueKind Kind);

/// <summary>Reads a value's position instead of the value. It is never written: samples are written by hand.</summary>
public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var kind = reader.TokenType switch
        {
            JsonTokenType.StartObject => JsonValueKind.Object,
            JsonTokenType.StartArray => JsonValueKind.Array,
            JsonTokenType.String => JsonValueKind.String,
            JsonTokenType.Number => JsonValueKind.Number,
            JsonTokenType.True => JsonValueKind.True,
            JsonTokenType.False => JsonValueKind.False,
            _ => JsonValueKind.Null,
        };
        // Positions are absolute: the parser reads one contiguous body, at most Messaging:MaxBodyBytes (16 MiB) long.
        // A JSON null reaches this converter too, as RawJson is a value type, and reads as the kind Null.
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new RawJson(start, (int)reader.BytesConsumed - start, kind);
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        throw new NotSupportedException("A RawJson is a position in a body; write the body itself.");
}
