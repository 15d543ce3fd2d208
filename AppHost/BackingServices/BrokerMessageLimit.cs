using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace AppHost.BackingServices;

/// <summary>
/// The largest message the broker accepts (RabbitMQ's <c>max_message_size</c>), the same in every mode: the local
/// broker's rabbitmq.conf, and the container's environment, which the manifest and so the deployment carry. RabbitMQ's
/// own default is 128 MiB before 4.0 and 16 MiB since, and prefetch counts messages, not bytes: the client holds up to
/// Messaging:Prefetch whole bodies before the worker sees one, and the worker copies those over Messaging:MaxBodyBytes,
/// within Messaging:MaxInFlightBytes, to dead-letter them from their batch. So the pod's memory limit must cover
/// Prefetch × this, the copies and their garbage, beside an idle worker: 512 × 128 KiB = 64 MiB, and about 124 MiB idle
/// (bench P6), within the deployment's 384 MiB. At 256 KiB a whole prefetch took 229 MiB beside 117 MiB idle
/// (LargeBodyTests), too close to the limit. A larger publish is refused to its publisher (406 PRECONDITION_FAILED,
/// "message size … is larger than configured max size").
/// </summary>
public static class BrokerMessageLimit
{
    public const string Key = "BackingServices:RabbitMQ:MaxMessageBytes";
    public const int DefaultBytes = 128 * 1024;

    // Below 64 KiB the broker would refuse bodies the worker takes by default; above the worker's default
    // Messaging:MaxInFlightBytes (16 MiB) one body would not fit the bytes the worker lets itself hold.
    private const int MinBytes = 64 * 1024;
    private const int MaxBytes = 16 * 1024 * 1024;

    public static int Read(IConfiguration configuration)
    {
        var text = configuration[Key];
        if (text is null)
        {
            return DefaultBytes;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes is >= MinBytes and <= MaxBytes
            ? bytes
            : throw new InvalidOperationException($"{Key} is '{text}', but it must be a whole number of bytes from {MinBytes} to {MaxBytes}.");
    }

    /// <summary>The setting as rabbitmq.conf takes it.</summary>
    public static string ConfigLine(int bytes) => string.Create(CultureInfo.InvariantCulture, $"max_message_size = {bytes}");

    /// <summary>The setting as the broker's Erlang VM takes it on its command line (RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).</summary>
    public static string ErlangArguments(int bytes) => string.Create(CultureInfo.InvariantCulture, $"-rabbit max_message_size {bytes}");
}
