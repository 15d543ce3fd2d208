using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Worker.Messaging;

namespace Worker.Tests.Deployment;

/// <summary>
/// The deployment's broker takes no body larger than the app model says, and a whole prefetch of such bodies fits
/// the worker's memory limit: RabbitMQ counts prefetch in messages, and the client holds each body whole.
/// </summary>
public sealed class BrokerMemoryBudgetTests
{
    private const string ErlangArguments = "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS";

    [Fact]
    public async Task The_brokers_largest_message_is_the_app_models_and_a_prefetch_of_them_takes_at_most_a_third_of_the_workers_limit()
    {
        var objects = await KubernetesOverlayTests.Rendered.Value;
        var broker = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "rabbitmq-env").Data;
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Support.RepositoryPaths.Root, "aspire-manifest.json")))!;
        Assert.Equal(manifest["resources"]!["rabbitmq"]!["env"]![ErlangArguments]!.GetValue<string>(), broker[ErlangArguments]);

        var largest = LargestMessage(broker[ErlangArguments]);
        var worker = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "worker-env").Data;
        var prefetch = worker.TryGetValue("Messaging__Prefetch", out var set) ? long.Parse(set, CultureInfo.InvariantCulture) : new MessagingOptions().Prefetch;
        var limit = KubernetesOverlayTests.Container(await KubernetesOverlayTests.WorkerAsync()).Resources.Limits["memory"].ToInt64();

        // The rest is the worker's own: about a third of the limit when idle (bench P6), and its copies of such bodies.
        Assert.Equal(AppHost.BackingServices.BrokerMessageLimit.DefaultBytes, largest);
        Assert.True(prefetch * largest <= limit / 3, $"{prefetch} × {largest} bytes against a limit of {limit}.");
    }

    private static long LargestMessage(string arguments)
    {
        var words = arguments.Split(' ');
        var at = Array.IndexOf(words, "max_message_size");
        Assert.True(at >= 0 && at + 1 < words.Length, $"No max_message_size in {ErlangArguments}: '{arguments}'.");
        return long.Parse(words[at + 1], CultureInfo.InvariantCulture);
    }
}
