using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices.Aspirate;

/// <summary>
/// A publish-time workaround for aspirate 9.1: Aspire 13.6's Redis adds a conditional <c>,ssl=…</c> part to its
/// connection string, written to the manifest as a <c>cond-…</c> value (https://github.com/microsoft/aspire/pull/14919)
/// that aspirate does not resolve. This redirect writes the same string without it, made only of endpoint and
/// parameter references, which aspirate resolves. It holds for a deployment, where the container serves no TLS; in run
/// mode Aspire gives Redis TLS from the development certificate, so the AppHost applies this only when publishing.
/// Remove it once aspirate reads conditional values.
/// </summary>
internal sealed class PortableRedisConnectionString(string name, ReferenceExpression expression) : Resource(name), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; } = expression;

    public static IResourceBuilder<RedisResource> Redirect(IResourceBuilder<RedisResource> redis, IResourceBuilder<ParameterResource> password) =>
        redis.WithConnectionStringRedirection(new PortableRedisConnectionString(
            $"{redis.Resource.Name}-connection",
            ReferenceExpression.Create($"{redis.GetEndpoint("tcp").Property(EndpointProperty.HostAndPort)},password={password}")));
}
