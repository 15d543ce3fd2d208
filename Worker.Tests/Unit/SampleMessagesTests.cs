using Worker.Commands;
using Worker.Contract;

namespace Worker.Tests.Unit;

/// <summary>What `Worker publish --count --duplicates --malformed` sends is what its flags say.</summary>
public sealed class SampleMessagesTests
{
    [Theory]
    [InlineData(1000, 0.0, 0.0)]
    [InlineData(1000, 0.3, 0.0)]
    [InlineData(2000, 0.1, 0.05)]
    public void A_plan_sends_its_count_with_its_shares_of_duplicates_and_malformed_messages(int count, double duplicates, double malformed)
    {
        var (bodies, ids, malformedCount) = SampleMessages.Build(new PublishPlan(count, duplicates, malformed, "s"));

        var parsed = bodies.Select(b => MessageParser.Parse(b)).ToList();
        Assert.Equal(count, bodies.Count);
        Assert.Equal(malformedCount, parsed.Count(p => p.Reason is not null));
        Assert.Equal(ids.Count, parsed.Where(p => p.Message is not null).Select(p => p.Message!.Id).Distinct().Count());
        // Shares are drawn at random per message: within a few points of what was asked, exact in total.
        Assert.InRange((double)malformedCount / count, malformed - 0.03, malformed + 0.03);
        Assert.InRange((double)(count - ids.Count - malformedCount) / count, duplicates - 0.03, duplicates + 0.03);
    }
}
