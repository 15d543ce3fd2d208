using System.Text;
using Worker.Commands;
using Worker.Messaging;

namespace Worker.Tests.Unit;

public sealed class MessageParserTests
{
    private const int Limit = 1024;

    [Fact]
    public void A_message_in_the_contract_is_valid()
    {
        var result = MessageParser.Parse(SampleMessages.Valid("order-42", "order.created"), Limit);

        Assert.Null(result.Reason);
        Assert.Equal("order-42", result.Message!.Id);
        Assert.Equal("order.created", result.Message.Type);
    }

    [Theory]
    [InlineData("{\"id\": \"x\"", "invalid-json:")]
    [InlineData("null", "invalid-json:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{}}", "invalid-json:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\",\"extra\":1}", "invalid-json:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"yesterday\"}", "invalid-json:")]
    [InlineData("{\"id\":\"has space\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-id:")]
    [InlineData("{\"id\":\"\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-id:")]
    [InlineData("{\"id\":\"a\",\"type\":\"a/b\",\"payload\":{},\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-type:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":[1],\"timestamp\":\"2026-01-01T00:00:00Z\"}", "invalid-payload:")]
    [InlineData("{\"id\":\"a\",\"type\":\"t\",\"payload\":{},\"timestamp\":\"0001-01-01T00:00:00Z\"}", "invalid-timestamp:")]
    public void A_malformed_message_is_refused_with_a_reason(string body, string reason)
    {
        var result = MessageParser.Parse(Encoding.UTF8.GetBytes(body), Limit);

        Assert.Null(result.Message);
        Assert.StartsWith(reason, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_over_the_limit_is_refused_before_it_is_read()
    {
        var result = MessageParser.Parse(new byte[Limit + 1], Limit);

        Assert.Equal($"body-too-large: {Limit + 1} bytes, the limit is {Limit}", result.Reason);
    }

    [Fact]
    public void Every_sample_malformed_kind_is_refused()
    {
        Assert.All(Enumerable.Range(0, 5), i => Assert.NotNull(MessageParser.Parse(SampleMessages.Malformed(i), Limit).Reason));
    }
}
