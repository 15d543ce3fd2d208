using System.Net.Sockets;
using Npgsql;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Worker.Messaging;

public enum FailureKind
{
    /// <summary>A dependency failed: the same messages are tried again, with backoff, and nothing is lost.</summary>
    Transient,

    /// <summary>Something in the messages: the batch is split until each culprit is alone and dead-lettered.</summary>
    CausedByMessages,
}

/// <summary>Sorts the failure of an attempt at a batch. Anything not known to be a dependency's is the messages'.</summary>
public static class FailureClassifier
{
    // PostgreSQL classes that a message's content raises: data exceptions (22), integrity violations (23) and limits
    // such as a value too large (54). See https://www.postgresql.org/docs/current/errcodes-appendix.html
    private static readonly string[] MessageClasses = ["22", "23", "54"];

    // The one integrity violation that is not a message's fault: two writers racing for the same id, which a retry
    // resolves through ON CONFLICT.
    private const string UniqueViolation = "23505";

    public static FailureKind Classify(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Select(Classify).DefaultIfEmpty(FailureKind.Transient).Min(),
        // Any other server-side class (08 connection, 40 serialization or deadlock, 53 resources, 57 shutdown, but
        // also 42 or 3D: a schema or database that is missing) names the server, not a message. Retrying them keeps
        // every message, and the stall check makes a retry that never succeeds visible.
        PostgresException postgres => MessageClasses.Contains(postgres.SqlState[..2]) && postgres.SqlState != UniqueViolation
            ? FailureKind.CausedByMessages
            : FailureKind.Transient,
        // RedisCommandException (a command the server side cannot take, such as keys across cluster slots) is not a
        // RedisException, and names the deployment, not a message.
        NpgsqlException or RedisException or RedisCommandException or RabbitMQClientException => FailureKind.Transient,
        OperationCanceledException or TimeoutException or IOException or SocketException or ObjectDisposedException
            or HttpRequestException => FailureKind.Transient,
        _ => FailureKind.CausedByMessages,
    };

    /// <summary>
    /// A short reason, for a dead letter, a log line or a span: the error's code and message, never its detail or
    /// context (PostgreSQL's Detail and Where quote the statement's data). What a message caused can quote it (invalid
    /// input syntax for type integer: "…"), so its text ends at the first quote; a dependency's keeps the names an
    /// operator needs (relation "messages" does not exist).
    /// </summary>
    public static string Describe(Exception exception)
    {
        var text = exception switch
        {
            AggregateException { InnerExceptions: [var only] } => Describe(only),
            PostgresException postgres => $"{postgres.SqlState} {Unquoted(postgres, postgres.MessageText)}",
            _ => $"{exception.GetType().Name}: {Unquoted(exception, exception.Message)}",
        };
        const int MaxLength = 200;
        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength - 1), "…");
    }

    /// <summary>For a log line: the failure and the ones that caused it (an authentication refusal under "unreachable").</summary>
    public static string DescribeChain(Exception exception)
    {
        var chain = new List<string> { Describe(exception) };
        for (var inner = exception is AggregateException ? null : exception.InnerException; inner is not null && chain.Count < 4; inner = inner.InnerException)
        {
            chain.Add(Describe(inner));
        }

        return string.Join(" <- ", chain);
    }

    private static string Unquoted(Exception exception, string text) =>
        Classify(exception) == FailureKind.CausedByMessages && text.IndexOfAny(['"', '\'']) is var quote and >= 0
            ? string.Concat(text.AsSpan(0, quote).TrimEnd(), " …")
            : text;
}
