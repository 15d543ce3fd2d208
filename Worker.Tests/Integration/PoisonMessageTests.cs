using System.Text;
using Worker.Commands;
using Worker.Messaging;

namespace Worker.Tests.Integration;

/// <summary>
/// Messages no batch can store, published between valid ones into the real broker and database: each one ends in
/// the dead-letter queue with its reason, every valid one is stored, and the probes stay green throughout. What
/// PostgreSQL refuses is the server's to say, so these run in both modes (<see cref="ProcessesPoisonMessageTests"/>,
/// <see cref="Containers.ContainersPoisonMessageTests"/>).
/// </summary>
public abstract class PoisonMessageTests<TFixture>(TFixture fixture)
    where TFixture : AppFixture
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly Backends _backends = new(fixture.App);

    [Fact]
    public async Task Every_poison_kind_between_valid_messages_is_dead_lettered_with_its_reason_and_the_valid_ones_are_stored()
    {
        var marker = $"p{Guid.NewGuid():N}";
        var oversized = Encoding.UTF8.GetBytes($"{{\"id\":\"{marker}\",\"pad\":\"{new string('x', new MessagingOptions().MaxBodyBytes)}\"}}");
        List<(string Kind, byte[] Body)> poison =
        [
            .. SampleMessages.Poison(marker),
            ("unprocessable", SampleMessages.Unforeseen(marker)),
            ("body-too-large", oversized),
        ];
        var bodies = new List<byte[]>();
        var valid = 0;
        foreach (var (_, body) in poison)
        {
            // Valid neighbours on both sides, in one burst: each poison shares its batch with them.
            bodies.Add(SampleMessages.Valid($"{marker}-{valid++}"));
            bodies.Add(body);
            bodies.Add(SampleMessages.Valid($"{marker}-{valid++}"));
        }

        await using (var publisher = await _backends.PublisherAsync())
        {
            using var cancel = new CancellationTokenSource(Within);
            await publisher.PublishAsync(bodies, 0, cancel.Token);
        }

        var deadLetters = await _backends.TakeDeadLettersAsync(marker, poison.Count, Within);
        Assert.Equal(poison.Count, deadLetters.Count);
        foreach (var (kind, body) in poison)
        {
            var letter = Assert.Single(deadLetters, d => d.Body.AsSpan().SequenceEqual(body));
            Assert.StartsWith($"{kind}:", letter.Reason, StringComparison.Ordinal);
        }

        Assert.StartsWith("unprocessable: 22003", deadLetters.Single(d => d.Reason.StartsWith("unprocessable", StringComparison.Ordinal)).Reason, StringComparison.Ordinal);
        await _backends.WaitForRowsAsync(marker + "-", valid);
        Assert.Equal(204, await fixture.Probes.StatusAsync(ProbeClient.Alive));
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(10), "after the poison messages");
    }

    [Fact]
    public async Task A_stall_that_is_not_the_messages_fault_fails_readiness_within_stall_after_and_clears_once_they_are_stored()
    {
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(30), "before the lock");
        var prefix = $"s{Guid.NewGuid():N}";
        var bodies = Enumerable.Range(0, 50).Select(i => SampleMessages.Valid($"{prefix}-{i}")).ToList();

        await using (await _backends.LockMessagesTableAsync())
        {
            await using (var publisher = await _backends.PublisherAsync())
            {
                using var cancel = new CancellationTokenSource(Within);
                await publisher.PublishAsync(bodies, 0, cancel.Token);
            }

            // Every dependency check still passes: only the progress check can see this. Liveness is asserted 204 on
            // every poll: a stall is not something a restart fixes.
            var refresh = TimeSpan.FromSeconds(2);
            await fixture.Probes.WaitForReadyAsync(500, AppFixture.StallAfter + refresh + refresh, "the messages table is locked");
        }

        await _backends.WaitForRowsAsync(prefix, bodies.Count);
        await fixture.Probes.WaitForReadyAsync(204, TimeSpan.FromSeconds(15), "the lock was released");
        Assert.Contains(fixture.Logs.Lines("worker"), line => line.Contains("progress failed: Stalled", StringComparison.Ordinal) && line.Contains("Last error", StringComparison.Ordinal));
    }
}

[Collection(nameof(AppCollection))]
public sealed class ProcessesPoisonMessageTests(AppFixture fixture) : PoisonMessageTests<AppFixture>(fixture);
