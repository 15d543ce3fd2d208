namespace Worker.Clients;

/// <summary>The connection-string names, which are the AppHost's resource names.</summary>
public static class ConnectionNames
{
    public const string RabbitMQ = "rabbitmq";
    public const string Redis = "redis";
    public const string Postgres = "workerdb";
}
