using Xunit;

namespace GradCamAudit.Tests;

/// <summary>LibTorch's native state is process-global: every test class touching TorchSharp joins this collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}

/// <summary>Repository paths and temporary folders for tests.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Configs => Path.Combine(RepoRoot, "configs");

    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string NewTempDir(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), "gca-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "GradCamAudit.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("GradCamAudit.sln not found above the test output");
    }
}
