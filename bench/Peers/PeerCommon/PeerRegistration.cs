using Microsoft.Extensions.DependencyInjection;

namespace PeerCommon;

public static class PeerRegistration
{
    /// <summary>
    /// The peer's settings, its table (created before anything consumes: call this before the framework's own
    /// registration, as hosted services start in order), and its end with the bench that started it.
    /// </summary>
    public static IServiceCollection AddPeer(this IServiceCollection services, PeerOptions options) =>
        services.AddHostedService<ParentWatch>().AddSingleton(options).AddSingleton<PeerTable>().AddHostedService<TableSetup>();

    /// <summary><see cref="AddPeer"/> and the plain consumer: the minimal peer, and the template's consumer code.</summary>
    public static IServiceCollection AddPlainConsumer(this IServiceCollection services, PeerOptions options) =>
        services.AddPeer(options).AddHostedService<PlainConsumer>();
}
