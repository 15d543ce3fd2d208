using Worker.Tests.Integration;
using Xunit.Abstractions;

namespace Worker.Tests.Containers;

// The rows of the probe table where the servers' mode matters, run again with the servers in containers: a container
// is stopped, started and frozen (docker pause) where a process gets signals, and PostgreSQL's refusals are its own.

[Collection(nameof(ContainersCollection))]
public sealed class ContainersProbeTests(ContainersAppFixture fixture) : ProbeTests<ContainersAppFixture>(fixture);

[Collection(nameof(ContainersCollection))]
public sealed class ContainersDependencyOutageTests(ContainersAppFixture fixture) : DependencyOutageTests<ContainersAppFixture>(fixture);

[Collection(nameof(ContainersCollection))]
public sealed class ContainersMessagePipelineTests(ContainersAppFixture fixture) : MessagePipelineTests<ContainersAppFixture>(fixture);

[Collection(nameof(ContainersCollection))]
public sealed class ContainersPoisonMessageTests(ContainersAppFixture fixture) : PoisonMessageTests<ContainersAppFixture>(fixture);

[Collection(nameof(ContainersCollection))]
public sealed class ContainersLargeBodyTests(ContainersAppFixture fixture, ITestOutputHelper output) : LargeBodyTests<ContainersAppFixture>(fixture, output);
