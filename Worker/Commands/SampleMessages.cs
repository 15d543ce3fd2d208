using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Worker.Commands;

/// <summary>What to publish: a count, and the shares of duplicates and malformed messages among them.</summary>
public sealed record PublishPlan(int Count, double DuplicateShare, double MalformedShare, string IdPrefix, int Seed = 1);

/// <summary>
/// Sample bodies in the message contract, and the poison kinds the worker must dead-letter: malformed JSON and
/// contract breaks, and valid JSON that PostgreSQL would refuse to store.
/// </summary>
public static class SampleMessages
{
    /// <summary>One body of each kind the parser refuses, with the reason's kind it must get.</summary>
    public static IReadOnlyList<(string Kind, byte[] Body)> PoisonKinds { get; } = Poison("sample");

    /// <summary>
    /// <see cref="PoisonKinds"/>, each carrying <paramref name="marker"/> (letters and digits) so that its dead letter
    /// can be told from others'.
    /// </summary>
    public static IReadOnlyList<(string Kind, byte[] Body)> Poison(string marker) =>
    [
        ("invalid-json", Utf8($"{{\"id\": \"{marker}")),
        ("invalid-json", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":{{}}}}")),
        ("invalid-json", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":{{}},\"timestamp\":\"2026-01-01T00:00:00Z\",\"extra\":1}}")),
        ("invalid-id", Utf8($"{{\"id\":\"{marker} has spaces\",\"type\":\"t\",\"payload\":{{}},\"timestamp\":\"2026-01-01T00:00:00Z\"}}")),
        ("invalid-payload", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":[1],\"timestamp\":\"2026-01-01T00:00:00Z\"}}")),
        ("null-field", Utf8($"{{\"id\": null, \"type\": \"t\", \"payload\": {{\"m\":\"{marker}\"}}, \"timestamp\": \"2026-11-28T10:00:00+05:30\"}}")),
        ("invalid-id", Utf8($"{{\"id\":\"{marker}\\n\",\"type\":\"t\",\"payload\":{{}},\"timestamp\":\"2026-01-01T00:00:00Z\"}}")),
        ("invalid-type", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\\n\",\"payload\":{{}},\"timestamp\":\"2026-01-01T00:00:00Z\"}}")),
        ("invalid-timestamp", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":{{}},\"timestamp\":\"2026-01-01T00:00:00\"}}")),
        ("invalid-utf8", [.. Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":{{\"s\":\""), 0xC3, 0x28, .. Utf8("\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}")]),
        ("invalid-string", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":{{\"s\":\"a\\u0000b\"}},\"timestamp\":\"2026-01-01T00:00:00Z\"}}")),
        ("invalid-string", Utf8($"{{\"id\":\"{marker}\",\"type\":\"t\",\"payload\":{{\"s\":\"\\ud800\"}},\"timestamp\":\"2026-01-01T00:00:00Z\"}}")),
    ];

    /// <summary>
    /// Valid in the contract, refused by PostgreSQL (22003: a number beyond <c>numeric</c>'s range): a poison the parser
    /// does not foresee, which only the worker's isolation of failing batches catches.
    /// </summary>
    public static byte[] Unforeseen(string id) =>
        Utf8($"{{\"id\":\"{id}\",\"type\":\"t\",\"payload\":{{\"n\":1e1000000}},\"timestamp\":\"2026-01-01T00:00:00Z\"}}");

    /// <param name="padding">Characters added to the payload, to make a body of a given size.</param>
    public static byte[] Valid(string id, string type = "sample.created", int padding = 0)
    {
        var body = new ArrayBufferWriter<byte>(256 + padding);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("type", type);
            json.WriteStartObject("payload");
            json.WriteNumber("n", id.Length);
            json.WriteString("note", "sample");
            json.WriteString("pad", new string('x', padding));
            json.WriteEndObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        return body.WrittenSpan.ToArray();
    }

    public static byte[] Malformed(int index) => PoisonKinds[index % PoisonKinds.Count].Body;

    /// <summary>The bodies of a plan, in order, with the distinct ids among the valid ones.</summary>
    public static (List<byte[]> Bodies, HashSet<string> DistinctIds, int Malformed) Build(PublishPlan plan)
    {
        var random = new Random(plan.Seed);
        var bodies = new List<byte[]>(plan.Count);
        var ids = new List<string>();
        var malformed = 0;
        for (var i = 0; i < plan.Count; i++)
        {
            var roll = random.NextDouble();
            if (roll < plan.MalformedShare)
            {
                bodies.Add(Malformed(malformed++));
            }
            else if (roll < plan.MalformedShare + plan.DuplicateShare && ids.Count > 0)
            {
                bodies.Add(Valid(ids[random.Next(ids.Count)]));
            }
            else
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"{plan.IdPrefix}-{i}");
                ids.Add(id);
                bodies.Add(Valid(id));
            }
        }

        return (bodies, ids.ToHashSet(StringComparer.Ordinal), malformed);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
