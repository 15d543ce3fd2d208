namespace Worker.Tests.Support;

/// <summary>Paths in this repository, found from the test assembly's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string AppHostProject => Path.Combine(Root, "AppHost");

    public static string Manifest => Path.Combine(Root, "aspire-manifest.json");

    /// <summary>The build configuration the tests were built with, which the projects were built with too.</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string WorkerAssembly => Path.Combine(Root, "Worker", "bin", Configuration, "net10.0", "Worker.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Solution.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Solution.sln above {AppContext.BaseDirectory}.");
    }
}
