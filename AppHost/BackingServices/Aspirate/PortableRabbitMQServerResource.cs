using Aspire.Hosting.ApplicationModel;

namespace AppHost.BackingServices.Aspirate;

/// <summary>
/// A publish-time workaround for aspirate 9.1: the official RabbitMQ resource, with a connection string aspirate can
/// resolve. Aspire 13.6's RabbitMQ writes its user and password uri-encoded, as <c>annotated.string</c> manifest
/// entries that aspirate drops (support is proposed upstream in
/// https://github.com/prom3theu5/aspirational-manifests/pull/339, not merged), and, unlike Redis, ignores
/// connection-string redirection. So for publishing only, the AppHost swaps in this subclass, which keeps every
/// annotation of the official resource and answers the connection string from plain parameter references.
/// Passwords must therefore be URI-safe; the generated ones are. Remove it once aspirate reads annotated strings.
/// </summary>
public sealed class PortableRabbitMQServerResource(RabbitMQServerResource official)
    : RabbitMQServerResource(official.Name, official.UserNameParameter, official.PasswordParameter), IResourceWithConnectionString
{
    ReferenceExpression IResourceWithConnectionString.ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserNameParameter!}:{PasswordParameter!}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");

    public static IResourceBuilder<PortableRabbitMQServerResource> Replace(
        IDistributedApplicationBuilder builder, IResourceBuilder<RabbitMQServerResource> official)
    {
        var portable = new PortableRabbitMQServerResource(official.Resource);
        foreach (var annotation in official.Resource.Annotations)
        {
            portable.Annotations.Add(annotation);
        }

        builder.Resources.Remove(official.Resource);
        return builder.AddResource(portable);
    }
}
