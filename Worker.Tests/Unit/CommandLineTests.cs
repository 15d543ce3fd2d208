using Microsoft.Extensions.Configuration;
using Worker.Commands;

namespace Worker.Tests.Unit;

/// <summary>The worker's verbs refuse bad arguments before doing anything: exit 2, what is wrong, and the usage.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--count", "publish")]
    [InlineData("--count must be a number from 1", "publish", "--count", "0")]
    [InlineData("ten", "publish", "--count", "ten")]
    [InlineData("--rate must be a number from 0", "publish", "--count", "10", "--rate", "-1")]
    [InlineData("--duplicates must be a number from 0 to 1", "publish", "--count", "10", "--duplicates", "1.5")]
    [InlineData("add up to more than 1", "publish", "--count", "10", "--duplicates", "0.7", "--malformed", "0.5")]
    [InlineData("stream", "publish", "--count", "10", "--queue-type", "stream")]
    [InlineData("--colour", "publish", "--count", "10", "--colour", "red")]
    [InlineData("sideways", "healthcheck", "sideways")]
    [InlineData("--timeout must be a number from", "healthcheck", "ready", "--timeout", "0")]
    [InlineData("--url must be an absolute URL", "healthcheck", "alive", "--url", "localhost")]
    public async Task A_usage_error_exits_2_naming_what_is_wrong_and_printing_the_usage(string named, params string[] args)
    {
        var (code, error) = await InvokeAsync(args);

        Assert.Equal(2, code);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Contains($"usage: Worker {args[0]}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_without_a_broker_exits_2_saying_where_one_is_named()
    {
        var saved = Environment.GetEnvironmentVariable("ConnectionStrings__rabbitmq");
        Environment.SetEnvironmentVariable("ConnectionStrings__rabbitmq", null);
        try
        {
            var (code, error) = await InvokeAsync(["publish", "--count", "10"]);

            Assert.Equal(2, code);
            Assert.Contains("pass --connection or set ConnectionStrings__rabbitmq", error, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ConnectionStrings__rabbitmq", saved);
        }
    }

    [Fact]
    public void Only_the_verbs_leave_the_worker_from_serving()
    {
        Assert.True(WorkerCommandLine.Handles(["publish", "--count", "1"]));
        Assert.True(WorkerCommandLine.Handles(["healthcheck", "ready"]));
        Assert.False(WorkerCommandLine.Handles([]));
        Assert.False(WorkerCommandLine.Handles(["--urls", "http://+:8080"]));
    }

    // Console.Error is the process's; the test collections run one at a time (xunit.runner.json).
    private static async Task<(int Code, string Error)> InvokeAsync(string[] args)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try
        {
            var code = await WorkerCommandLine.InvokeAsync(args, new ConfigurationBuilder().Build()).WaitAsync(TimeSpan.FromSeconds(30));
            return (code, error.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }
}
