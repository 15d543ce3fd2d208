using System.Text;
using Worker.Commands;
using Worker.Contract;

namespace Worker.Tests.Unit;

public sealed class MessageParserTests
{
    [Fact]
    public void A_message_in_the_contract_is_valid()
    {
        var result = MessageParser.Parse(SampleMessages.Valid("order-42", "order.created"));

        Assert.Null(result.Reason);
        Assert.Equal("order-42", result.Message!.Id);
        Assert.Equal("order.created", result.Message.Type);
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"secret\":1,\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("{\"id\":\"a\",\"x'secret'x\":1,\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"secret\":{\"secret\":secret}},\"timestamp\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}secret")]
    public void A_reason_never_quotes_the_body_since_it_goes_to_logs_and_spans(string body)
    {
        var reason = MessageParser.Parse(Encoding.UTF8.GetBytes(body)).Reason;

        Assert.StartsWith("invalid-json: ", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("'s'", reason, StringComparison.Ordinal);
        Assert.Matches(@"\(at byte \d+\)$", reason);
    }

    [Fact]
    public void The_issues_example_with_an_offset_is_valid_once_its_id_is_set()
    {
        var result = MessageParser.Parse(Encoding.UTF8.GetBytes("{\"id\": \"a\", \"type\": \"t\", \"payload\": {}, \"timestamp\": \"2026-11-28T10:00:00+05:30\"}"));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.FromHours(5.5)), result.Message!.Timestamp);
    }

    [Theory]
    [InlineData("{\"id\": \"x\"", "invalid-json:")]
    [InlineData("null", "invalid-json:")]
    [InlineData("{\"id\":\"\\u0041", "invalid-json:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{}}", "invalid-json:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\",\"extra\":1}", "invalid-json:")]
    [InlineData("{\"id\":\"a\",\"id\":\"b\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-json:")]
    [InlineData("{\"id\":null,\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-11-28T10:00:00+05:30\"}", "null-field: id")]
    [InlineData("{\"id\":\"a\",\"type\":null,\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "null-field: type")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":null,\"timestamp\":\"2026-01-01T00:00:00Z\"}", "null-field: payload")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":null}", "null-field: timestamp")]
    [InlineData("{\"id\":\"has space\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-id:")]
    [InlineData("{\"id\":\"\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-id:")]
    [InlineData("{\"id\":\"a\\n\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-id:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\\n\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-type:")]
    [InlineData("{\"id\":\"a\",\"type\":\"a/b\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-type:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":[1],\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-payload:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"yesterday\"}", "invalid-timestamp:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00\"}", "invalid-timestamp:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01\"}", "invalid-timestamp:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\\n\"}", "invalid-timestamp:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-02-30T00:00:00Z\"}", "invalid-timestamp:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"s\":\"x\\u0000y\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-string: \\u0000")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"x\\u0000\":1},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-string: \\u0000")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"s\":\"\\ud800\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-string: an unpaired surrogate")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"s\":\"\\udc00x\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-string: an unpaired surrogate")]
    public void A_malformed_message_is_refused_with_its_own_reason(string body, string reason)
    {
        var result = MessageParser.Parse(Encoding.UTF8.GetBytes(body));

        Assert.Null(result.Message);
        Assert.StartsWith(reason, result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"s\":\"\\\\u0000 is text here\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"s\":\"\\ud83d\\ude00\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}")]
    public void Escapes_that_postgres_can_store_are_accepted(string body)
    {
        Assert.Null(MessageParser.Parse(Encoding.UTF8.GetBytes(body)).Reason);
    }

    [Fact]
    public void A_body_that_is_not_utf8_is_refused_before_it_is_parsed()
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("{\"id\":\"a\",\"type\":\"t\",\"payload\":{\"s\":\""), 0xFF, .. Encoding.UTF8.GetBytes("\"},\"timestamp\":\"2026-01-01T00:00:00Z\"}")];

        Assert.StartsWith("invalid-utf8:", MessageParser.Parse(body).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_sample_poison_kind_is_refused_with_the_reason_it_names()
    {
        Assert.All(SampleMessages.PoisonKinds, kind => Assert.StartsWith($"{kind.Kind}:", MessageParser.Parse(kind.Body).Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void The_unforeseen_sample_passes_the_parser_so_that_only_the_store_refuses_it()
    {
        Assert.Null(MessageParser.Parse(SampleMessages.Unforeseen("u-1")).Reason);
    }
}
