using System.Text.Json.Serialization;

namespace Worker.Contract;

/// <summary>A message that passed the contract (see README): what the store keeps. The payload is its UTF-8 JSON.</summary>
public sealed record WorkMessage(string Id, string Type, ReadOnlyMemory<byte> Payload, DateTimeOffset Timestamp);

/// <summary>
/// The body as it arrives: every field required, but nullable, so that a <c>null</c> gets its own reason instead of
/// an exception later (System.Text.Json does not enforce nullable annotations by default).
/// </summary>
public sealed record WireMessage(
    [property: JsonRequired] string? Id,
    [property: JsonRequired] string? Type,
    [property: JsonRequired] RawJson Payload,
    [property: JsonRequired] string? Timestamp);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(WireMessage))]
public sealed partial class WireMessageJson : JsonSerializerContext;
