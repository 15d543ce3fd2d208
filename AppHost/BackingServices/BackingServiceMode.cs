namespace AppHost.BackingServices;

/// <summary>How RabbitMQ, Redis and PostgreSQL run: chosen by the <c>BackingServices:Mode</c> setting.</summary>
public enum BackingServiceMode
{
    /// <summary>Containers when an engine answers, otherwise local processes when the servers are installed.</summary>
    Auto,

    /// <summary>The official Aspire hosting integrations, as containers. Always what the manifest describes.</summary>
    Containers,

    /// <summary>The distribution's redis-server, PostgreSQL and rabbitmq-server as local processes.</summary>
    Processes,
}
