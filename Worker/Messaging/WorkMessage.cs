using System.Text.Json;
using System.Text.Json.Serialization;

namespace Worker.Messaging;

/// <summary>The message contract: JSON with exactly these four fields (see README).</summary>
public sealed record WorkMessage(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Type,
    [property: JsonRequired] JsonElement Payload,
    [property: JsonRequired] DateTimeOffset Timestamp);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(WorkMessage))]
public sealed partial class WorkMessageJson : JsonSerializerContext;
