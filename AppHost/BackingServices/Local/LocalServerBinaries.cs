namespace AppHost.BackingServices.Local;

/// <summary>Where the distribution's packages put the three servers.</summary>
internal static class LocalServerBinaries
{
    public const string Packages = "redis-server postgresql rabbitmq-server";

    public static string? RedisServer => FindOnPath("redis-server");

    public static string? Epmd => FindOnPath("epmd");

    public static string? RabbitMQServer => Existing("/usr/lib/rabbitmq/bin/rabbitmq-server");

    /// <summary>The newest installed PostgreSQL's bin directory, e.g. /usr/lib/postgresql/15/bin.</summary>
    public static string? PostgresBinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Where(dir => int.TryParse(Path.GetFileName(dir), out _) && File.Exists(Path.Combine(dir, "bin", "postgres")))
                .OrderByDescending(dir => int.Parse(Path.GetFileName(dir), System.Globalization.CultureInfo.InvariantCulture))
                .Select(dir => Path.Combine(dir, "bin"))
                .FirstOrDefault()
            : null;

    public static IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        if (RedisServer is null)
        {
            missing.Add("redis-server");
        }

        if (PostgresBinDirectory is null)
        {
            missing.Add("postgres (/usr/lib/postgresql/*/bin)");
        }

        if (RabbitMQServer is null || Epmd is null)
        {
            missing.Add("rabbitmq-server");
        }

        return missing;
    }

    public static string Require(string? path, string what) =>
        path ?? throw new InvalidOperationException($"{what} is not installed. Install: sudo apt-get install {Packages}.");

    private static string? Existing(string path) => File.Exists(path) ? path : null;

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
