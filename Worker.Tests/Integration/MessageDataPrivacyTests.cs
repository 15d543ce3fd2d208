using System.Text;

namespace Worker.Tests.Integration;

/// <summary>
/// What a message holds stays in the message and its dead letter: logs and traces go to places with other readers
/// and other retention. A marker in every field of messages that the parser refuses and that PostgreSQL refuses
/// appears in no log line at any level, and in no span's name, tag or event.
/// </summary>
[Collection(nameof(AppCollection))]
public sealed class MessageDataPrivacyTests(AppFixture fixture)
{
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task Refused_messages_leave_no_trace_of_their_content_in_logs_or_spans()
    {
        var marker = $"secret{Guid.NewGuid():N}";
        await using var worker = await InProcessWorker.StartAsync(fixture, everyLevel: true);
        var timestamp = "\"timestamp\":\"2026-01-01T00:00:00Z\"";
        List<byte[]> refused =
        [
            // The parser: broken JSON inside the payload, under a property named by the marker; a field of the wrong
            // type; a timestamp that is none; a property the contract does not have.
            Utf8($"{{\"id\":\"{marker}-a\",\"type\":\"{marker}\",\"payload\":{{\"{marker}\":{{\"{marker}\":{marker}}}}},{timestamp}}}"),
            Utf8($"{{\"id\":\"{marker}-b\",\"type\":\"t\",\"payload\":{{\"{marker}\":1}},\"timestamp\":[\"{marker}\"]}}"),
            Utf8($"{{\"id\":\"{marker}-c\",\"type\":\"t\",\"payload\":{{\"{marker}\":\"{marker}\"}},\"timestamp\":\"{marker}\"}}"),
            Utf8($"{{\"id\":\"{marker}-e\",\"{marker}\":{{\"{marker}\":[{marker}]}},\"type\":\"t\",\"payload\":{{}},{timestamp}}}"),
            // PostgreSQL: a number beyond numeric's range, beside the marker (its error's context quotes the JSON).
            Utf8($"{{\"id\":\"{marker}-d\",\"type\":\"{marker}\",\"payload\":{{\"{marker}\":\"{marker}\",\"n\":1e1000000}},{timestamp}}}"),
        ];

        await worker.PublishAsync(refused);
        var deadLetters = await _backends.TakeDeadLettersAsync($"{marker}-", refused.Count, InProcessWorker.Within, worker.Queue);
        Assert.Equal(refused.Count, deadLetters.Count);
        Assert.Contains(deadLetters, d => d.Reason.StartsWith("unprocessable: 22003", StringComparison.Ordinal));
        await worker.StopAsync();

        Assert.Contains(worker.Logs, line => line.Contains("cannot be stored and goes to the dead-letter queue", StringComparison.Ordinal));
        Assert.DoesNotContain(worker.Logs, line => line.Contains(marker, StringComparison.Ordinal));
        // Nor PostgreSQL's context of the error (Where), which quotes the statement's data where it can.
        Assert.DoesNotContain(worker.Logs, line => line.Contains("Where: ", StringComparison.Ordinal));
        Assert.DoesNotContain(deadLetters, d => d.Reason.Contains(marker, StringComparison.Ordinal));
        var spans = worker.Spans();
        Assert.Contains(spans, span => span.GetTagItem("worker.dead_letter_reason") is not null);
        foreach (var span in spans)
        {
            var texts = new[] { span.DisplayName, span.StatusDescription ?? "" }
                .Concat(span.TagObjects.Select(tag => $"{tag.Key}={tag.Value}"))
                .Concat(span.Events.SelectMany(e => e.Tags.Select(tag => $"{e.Name}: {tag.Key}={tag.Value}").Append(e.Name)));
            Assert.DoesNotContain(texts, text => text.Contains(marker, StringComparison.Ordinal));
        }
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
