using System.Globalization;
using System.Text;
using System.Text.Json;
using Worker.Messaging;

namespace Worker.Commands;

/// <summary>What to publish: a count, and the shares of duplicates and malformed messages among them.</summary>
public sealed record PublishPlan(int Count, double DuplicateShare, double MalformedShare, string IdPrefix, int Seed = 1);

/// <summary>Sample bodies in the message contract, and the malformed kinds the worker must dead-letter.</summary>
public static class SampleMessages
{
    private static readonly string[] MalformedKinds = ["invalid-json", "missing-field", "invalid-id", "unknown-field", "payload-not-object"];

    public static byte[] Valid(string id, string type = "sample.created") =>
        JsonSerializer.SerializeToUtf8Bytes(
            new WorkMessage(id, type, JsonSerializer.SerializeToElement(new { n = id.Length, note = "sample" }), DateTimeOffset.UtcNow),
            WorkMessageJson.Default.WorkMessage);

    public static byte[] Malformed(int index) => MalformedKinds[index % MalformedKinds.Length] switch
    {
        "invalid-json" => Encoding.UTF8.GetBytes("{\"id\": \"broken"),
        "missing-field" => Encoding.UTF8.GetBytes("{\"id\":\"m1\",\"type\":\"t\",\"payload\":{}}"),
        "invalid-id" => Encoding.UTF8.GetBytes("{\"id\":\"has spaces\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}"),
        "unknown-field" => Encoding.UTF8.GetBytes("{\"id\":\"u1\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\",\"extra\":1}"),
        _ => Encoding.UTF8.GetBytes("{\"id\":\"p1\",\"type\":\"t\",\"payload\":[1],\"timestamp\":\"2026-01-01T00:00:00Z\"}"),
    };

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
}
