using System.Globalization;
using RabbitMQ.Client;

namespace Worker.Clients;

/// <summary>
/// The other nodes of a broker cluster (<c>Messaging:BrokerEndpoints</c>: <c>host:port</c>, comma-separated), so that
/// the connection, and its automatic recovery, can reach a surviving node. RabbitMQ.Client takes several endpoints
/// only as an argument of CreateConnectionAsync, never in a URI, and Aspire's integration calls it with none. It does
/// let us configure the factory, whose EndpointResolverFactory supplies the endpoints every connection and every
/// recovery try; so the connection string stays one amqp URI, and Aspire's integration keeps building the connection,
/// its health check and its telemetry.
/// </summary>
public static class BrokerEndpoints
{
    public const string Key = "Messaging:BrokerEndpoints";

    /// <summary>The configured endpoints, none when unset; an entry that is not host:port stops the start, naming the key.</summary>
    public static IReadOnlyList<(string Host, int Port)> Read(IConfiguration configuration)
    {
        var text = configuration[Key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        return [.. text.Split(',', StringSplitOptions.TrimEntries).Select(entry => Parse(entry) ?? throw new InvalidOperationException(
            $"{Key} holds '{entry}', but each entry must be host:port, with a port of 1-65535, and entries are separated by commas."))];
    }

    /// <summary>Makes every connection of <paramref name="factory"/> try its URI's endpoint and <paramref name="others"/>.</summary>
    public static void Apply(ConnectionFactory factory, IReadOnlyList<(string Host, int Port)> others)
    {
        if (others.Count == 0)
        {
            return;
        }

        // Each node is its own TLS server name, with the URI's TLS settings otherwise (certificates, policy, callbacks).
        var tls = factory.Ssl;
        factory.EndpointResolverFactory = endpoints => new DefaultEndpointResolver(
            endpoints.Concat(others.Select(e => new AmqpTcpEndpoint(e.Host, e.Port, new SslOption(e.Host, tls.CertPath, tls.Enabled)
                {
                    CertPassphrase = tls.CertPassphrase,
                    Certs = tls.Certs,
                    AcceptablePolicyErrors = tls.AcceptablePolicyErrors,
                    CertificateValidationCallback = tls.CertificateValidationCallback,
                    CertificateSelectionCallback = tls.CertificateSelectionCallback,
                    CheckCertificateRevocation = tls.CheckCertificateRevocation,
                    Version = tls.Version,
                })))
                .DistinctBy(e => (e.HostName, e.Port)));
    }

    private static (string Host, int Port)? Parse(string entry)
    {
        var colon = entry.LastIndexOf(':');
        return colon > 0
            && int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            && Uri.CheckHostName(entry[..colon]) != UriHostNameType.Unknown
            ? (entry[..colon], port)
            : null;
    }
}
