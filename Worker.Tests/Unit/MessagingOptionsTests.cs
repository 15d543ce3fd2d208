using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Worker.Messaging;

namespace Worker.Tests.Unit;

/// <summary>Messaging settings are checked at start, through the worker's own registration, each message naming its key.</summary>
public sealed class MessagingOptionsTests
{
    [Theory]
    [InlineData("Messaging:BatchSize", "2000", "Messaging:BatchSize (2000) must not exceed Messaging:Prefetch")]
    [InlineData("Messaging:Prefetch", "0", "Messaging:Prefetch must be 1-10000.")]
    [InlineData("Messaging:MaxBatchBytes", "100", "Messaging:MaxBatchBytes (100) must be at least")]
    [InlineData("Messaging:AttemptTimeout", "00:02:00", "Messaging:AttemptTimeout (00:02:00) must be above zero and below Messaging:StuckHandlerThreshold")]
    [InlineData("Messaging:DrainTimeout", "00:01:00", "Messaging:DrainTimeout (00:01:00) must be above zero and below the host's shutdown timeout")]
    [InlineData("Messaging:QueueType", "stream", "Messaging:QueueType must be quorum or classic.")]
    [InlineData("Messaging:ConsumerLostThreshold", "00:00:01", "Messaging:ConsumerLostThreshold (00:00:01) must be at least 10 s.")]
    public void An_invalid_setting_fails_validation_naming_its_key(string key, string value, string message)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration[key] = value;
        builder.AddMessagePipeline();
        using var services = builder.Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MessagingOptions>>().Value);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.AddMessagePipeline();
        using var services = builder.Services.BuildServiceProvider();

        Assert.Equal("quorum", services.GetRequiredService<IOptions<MessagingOptions>>().Value.QueueType);
    }
}
