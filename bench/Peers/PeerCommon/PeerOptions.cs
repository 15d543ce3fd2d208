using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace PeerCommon;

/// <summary>
/// What the bench gives every peer (section <c>Peer</c>): its queue, the queue's type and the prefetch, as the worker
/// has them, and a table of its own with the worker's shape.
/// </summary>
public sealed class PeerOptions
{
    [Required]
    [RegularExpression("^[a-z0-9._-]+$")]
    public string Queue { get; set; } = "";

    [AllowedValues("quorum", "classic")]
    public string QueueType { get; set; } = "quorum";

    [Range(1, 65535)]
    public int Prefetch { get; set; } = 512;

    /// <summary>Its name goes into SQL as it is, so it is held to an identifier's letters.</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string Table { get; set; } = "";

    public bool IsQuorum => QueueType == "quorum";

    /// <summary>
    /// Read and validated before the host is built: MassTransit and Wolverine take their topology in registration code,
    /// before any options pipeline runs. A bad value stops the peer with the key's name.
    /// </summary>
    public static PeerOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection("Peer").Get<PeerOptions>() ?? new PeerOptions();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true))
        {
            throw new InvalidOperationException($"Peer settings are invalid: {string.Join("; ", errors.Select(e => $"Peer:{string.Join(",", e.MemberNames)}: {e.ErrorMessage}"))}");
        }

        return options;
    }

    /// <summary>The settings and the two connection strings every peer needs: its database and its broker.</summary>
    public static (PeerOptions Peer, string Database, Uri Broker) Read(IConfiguration configuration) =>
        (From(configuration), ConnectionString(configuration, "workerdb"), new Uri(ConnectionString(configuration, "rabbitmq")));

    /// <summary>A named connection string (rabbitmq, workerdb), or a clear error naming its key.</summary>
    public static string ConnectionString(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{name} is not set.");
}
