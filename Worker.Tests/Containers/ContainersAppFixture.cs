using Worker.Tests.Integration;
using Worker.Tests.Support;

namespace Worker.Tests.Containers;

/// <summary>
/// The shared app of <see cref="ContainersCollection"/>: the same AppHost, its three servers in containers on the
/// tests' engine, pulled from the stand-ins through the mirror setting a user of a registry mirror sets. eng/test.sh
/// creates the development certificate first, so Redis serves TLS here as on a developer's machine.
/// </summary>
public sealed class ContainersAppFixture : AppFixture
{
    protected override string[] Arguments => ["--BackingServices:Mode=containers", $"--BackingServices:ContainerRegistry={StandInImages.Registry}"];

    public override async Task InitializeAsync()
    {
        await Docker.RequireAsync([.. StandInImages.All]);
        await base.InitializeAsync();
    }
}

[CollectionDefinition(nameof(ContainersCollection))]
public sealed class ContainersCollection : ICollectionFixture<ContainersAppFixture>;
