namespace Worker.Clients;

public static class BackingServiceClients
{
    /// <summary>
    /// Aspire's client integrations for the three backing services, each with its health check, telemetry and
    /// settings. A missing or malformed connection string stops the start here, naming the key. The broker's connection
    /// also reaches the other nodes of a cluster (<see cref="BrokerEndpoints"/>).
    /// </summary>
    public static IHostApplicationBuilder AddBackingServiceClients(this IHostApplicationBuilder builder)
    {
        ConnectionStringValidation.Require(builder.Configuration);
        var brokerEndpoints = BrokerEndpoints.Read(builder.Configuration);

        builder.AddRabbitMQClient(ConnectionNames.RabbitMQ, configureConnectionFactory: factory => BrokerEndpoints.Apply(factory, brokerEndpoints));
        // The client's error messages would otherwise name the keys they were about, which hold messages' ids.
        builder.AddRedisClient(ConnectionNames.Redis, configureOptions: redis => redis.IncludeDetailInExceptions = false);
        builder.AddNpgsqlDataSource(ConnectionNames.Postgres);
        return builder;
    }
}
