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

    /// <summary>A copy of a folder (a run folder) in a new temporary folder, modification times kept.</summary>
    public static string CopyOf(string source, string prefix)
    {
        string copy = NewTempDir(prefix);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(file));
        }
        return copy;
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

/// <summary>Runs the command line in-process with stdout or stderr captured (tests of one collection run one at a time).</summary>
public static class CliCapture
{
    public static async Task<(int Code, string Output)> RunCapturingAsync(bool stderr, params string[] args)
    {
        var capture = new StringWriter();
        TextWriter saved = stderr ? Console.Error : Console.Out;
        if (stderr)
        {
            Console.SetError(capture);
        }
        else
        {
            Console.SetOut(capture);
        }
        try
        {
            int code = await GradCamAudit.Cli.Commands.ParseAndRunAsync(GradCamAudit.Cli.Commands.Build(), args);
            return (code, capture.ToString());
        }
        finally
        {
            if (stderr)
            {
                Console.SetError(saved);
            }
            else
            {
                Console.SetOut(saved);
            }
        }
    }
}
