using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;
using Worker.Messaging;

namespace Worker.Tests.Unit;

public sealed class FailureClassifierTests
{
    public static TheoryData<Exception> Transient => new()
    {
        Postgres("08006"), Postgres("40001"), Postgres("40P01"), Postgres("53300"), Postgres("57P01"), Postgres("57014"),
        Postgres("23505"), Postgres("42P01"),
        new NpgsqlException("connection refused"),
        new RedisConnectionException(ConnectionFailureType.UnableToConnect, "down"),
        new RedisTimeoutException("slow", CommandStatus.Sent),
        new RedisCommandException("Multi-key operations must involve a single slot"),
        new AlreadyClosedException(new RabbitMQ.Client.Events.ShutdownEventArgs(RabbitMQ.Client.ShutdownInitiator.Peer, 320, "forced")),
        new TimeoutException(), new OperationCanceledException(), new SocketException(), new IOException(),
        new AggregateException(new InvalidCastException(), new TimeoutException()),
    };

    public static TheoryData<Exception> CausedByMessages => new()
    {
        Postgres("22P05"), Postgres("22P02"), Postgres("22003"), Postgres("22021"), Postgres("23502"), Postgres("23514"), Postgres("54000"),
        new JsonException(), new FormatException(), new InvalidCastException(), new ArgumentException(), new InvalidOperationException(),
        new AggregateException(new FormatException()),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public void A_dependency_failing_is_transient(Exception exception) =>
        Assert.Equal(FailureKind.Transient, FailureClassifier.Classify(exception));

    [Theory]
    [MemberData(nameof(CausedByMessages))]
    public void Anything_else_is_the_messages_fault(Exception exception) =>
        Assert.Equal(FailureKind.CausedByMessages, FailureClassifier.Classify(exception));

    [Fact]
    public void The_reason_names_the_sql_state_and_the_message_but_not_the_detail_and_stays_short()
    {
        var postgres = new PostgresException("unsupported Unicode escape sequence", "ERROR", "ERROR", "22P05", detail: "secret \\u0000 payload");

        Assert.Equal("22P05 unsupported Unicode escape sequence", FailureClassifier.Describe(postgres));
        Assert.Equal(200, FailureClassifier.Describe(new FormatException(new string('x', 500))).Length);
        Assert.EndsWith("…", FailureClassifier.Describe(new FormatException(new string('x', 500))), StringComparison.Ordinal);
        // "FormatException: " and 183 characters make exactly 200: kept whole, not cut.
        var exactly = new string('y', 200 - "FormatException: ".Length);
        Assert.Equal($"FormatException: {exactly}", FailureClassifier.Describe(new FormatException(exactly)));
    }

    [Fact]
    public void What_a_message_caused_is_cut_at_its_first_quote_and_a_dependencys_failure_keeps_its_names()
    {
        var refused = new PostgresException("invalid input syntax for type integer: \"se\"cret\"", "ERROR", "ERROR", "22P02", where: "JSON data, line 1: {\"secret\"");
        var missing = new PostgresException("relation \"messages\" does not exist", "ERROR", "ERROR", "42P01");

        Assert.Equal("22P02 invalid input syntax for type integer: …", FailureClassifier.Describe(refused));
        Assert.Equal("FormatException: bad …", FailureClassifier.Describe(new FormatException("bad 'se'cret' value")));
        Assert.Equal("42P01 relation \"messages\" does not exist", FailureClassifier.Describe(missing));
    }

    [Fact]
    public void A_log_line_names_the_failures_that_caused_it()
    {
        var failure = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111));

        Assert.StartsWith("NpgsqlException: Failed to connect to 127.0.0.1:5432 <- SocketException: ", FailureClassifier.DescribeChain(failure), StringComparison.Ordinal);
    }

    private static PostgresException Postgres(string sqlState) => new("message", "ERROR", "ERROR", sqlState);
}
