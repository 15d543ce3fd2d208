using Worker.Tests.Support;

namespace Worker.Tests.Deployment;

/// <summary>
/// Renders deploy/kubernetes with <c>kubectl kustomize</c> over a copy of what aspirate 9.1 writes (the fixture in
/// Deployment/Aspirate91), laid out as the README's commands lay it out: the overlay beside deploy/aspirate-output.
/// </summary>
public static class Kustomize
{
    /// <summary>The rendered YAML, or kubectl's error; <paramref name="components"/> are enabled as the README shows.</summary>
    public static async Task<ProcessRunner.Result> RenderAsync(string aspirateVariant, params string[] components)
    {
        var root = Directory.CreateTempSubdirectory("overlay-");
        try
        {
            var deploy = Path.Combine(root.FullName, "deploy");
            CopyDirectory(Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes"), Path.Combine(deploy, "kubernetes"));
            CopyDirectory(Path.Combine(AppContext.BaseDirectory, "Deployment", "Aspirate91", aspirateVariant), Path.Combine(deploy, "aspirate-output"));
            var target = Path.Combine(deploy, "kubernetes");
            if (components.Length > 0)
            {
                target = Path.Combine(deploy, "scaled");
                Directory.CreateDirectory(target);
                await File.WriteAllTextAsync(Path.Combine(target, "kustomization.yaml"),
                    $"resources: [ ../kubernetes ]\ncomponents: [ {string.Join(", ", components.Select(c => $"../kubernetes/components/{c}"))} ]\n");
            }

            return await ProcessRunner.RunAsync("kubectl", ["kustomize", target], TimeSpan.FromSeconds(60));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
