using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace Worker.Commands;

/// <summary>
/// The worker's verbs beside serving, <c>publish</c> and <c>healthcheck</c>, parsed one way with System.CommandLine.
/// A usage error exits 2 with what is wrong and the verb's usage; <c>--help</c> describes every option.
/// </summary>
public static class WorkerCommandLine
{
    public const int UsageError = 2;

    /// <summary>Whether the arguments name a verb; without one the worker serves.</summary>
    public static bool Handles(string[] args) => args is [PublishCommand.Name or HealthCheckCommand.Name, ..];

    public static async Task<int> InvokeAsync(string[] args, IConfiguration configuration)
    {
        var root = new RootCommand("Without a verb, the worker consumes its queue and serves its probes.")
        {
            PublishCommand.Create(),
            HealthCheckCommand.Create(configuration),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0)
        {
            return await parsed.InvokeAsync();
        }

        var verb = parsed.CommandResult.Command.Name;
        return await UsageErrorAsync(verb, string.Join(" ", parsed.Errors.Select(e => e.Message)), verb == PublishCommand.Name ? PublishCommand.Usage : HealthCheckCommand.Usage);
    }

    /// <summary>Parses a number option and keeps it within bounds, naming the option and the value when it is not.</summary>
    internal static void Within<T>(this Option<T> option, T min, T max)
        where T : struct, INumber<T> =>
        option.CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(t => t.Value));
            if (T.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            result.AddError($"{option.Name} must be a number from {min} to {max}, not '{token}'.");
            return default;
        };

    /// <summary>Writes a usage error as a parse error is written, and returns its exit code.</summary>
    internal static async Task<int> UsageErrorAsync(string verb, string message, string usage)
    {
        await Console.Error.WriteLineAsync($"{verb}: {message}{Environment.NewLine}{usage}");
        return UsageError;
    }
}
