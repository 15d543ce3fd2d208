using System.Diagnostics;
using AppHost.BackingServices.Local;
using Microsoft.Extensions.Configuration;

namespace AppHost.BackingServices;

/// <summary>Turns the configured mode into the one this machine can run, and says why.</summary>
public static class BackingServiceModeResolver
{
    public const string ConfigurationKey = "BackingServices:Mode";

    private static readonly TimeSpan EngineProbeTimeout = TimeSpan.FromSeconds(10);

    public static (BackingServiceMode Mode, string Reason) Resolve(IConfiguration configuration, bool isPublishMode)
    {
        var configured = Parse(configuration[ConfigurationKey]);

        if (isPublishMode)
        {
            return (BackingServiceMode.Containers, "publishing always describes containers");
        }

        if (configured != BackingServiceMode.Auto)
        {
            return (configured, $"{ConfigurationKey} is {configured}");
        }

        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        if (ContainerEngineAnswers(runtime))
        {
            return (BackingServiceMode.Containers, $"the {runtime} engine answers");
        }

        var missing = LocalServerBinaries.Missing();
        if (missing.Count == 0)
        {
            return (BackingServiceMode.Processes, $"no {runtime} engine answers and the local servers are installed");
        }

        throw new InvalidOperationException(
            $"No container engine answers ({runtime} info failed) and the local servers are missing: {string.Join(", ", missing)}. " +
            $"Start a container engine, or install the Debian/Ubuntu packages: sudo apt-get install {LocalServerBinaries.Packages}.");
    }

    private static BackingServiceMode Parse(string? value) =>
        string.IsNullOrWhiteSpace(value) ? BackingServiceMode.Auto
        : Enum.TryParse<BackingServiceMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode) ? mode
        : throw new InvalidOperationException(
            $"{ConfigurationKey} is '{value}', but it must be one of: auto, containers, processes.");

    private static bool ContainerEngineAnswers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(EngineProbeTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the client itself is not installed
        }
    }
}
