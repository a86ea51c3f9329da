using GradCamAudit.Cli;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Results;

/// <summary>What --overwrite may delete, and when: validation first, then only the run's own artefacts.</summary>
[Collection(TorchCollection.Name)]
public sealed class RunFolderTests
{
    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes, StringComparer.Ordinal);

    [Fact]
    public async Task BrokenNightlyConfig_WithOverwrite_ExitsTwo_AndLastNightsRunIsUntouched()
    {
        string dir = TestPaths.NewTempDir("nightly");
        string manifest = TestDatasets.DemoSubset(dir, 12);
        string config = TestDatasets.Config(dir, manifest);
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config]));
        string output = Path.Combine(dir, "out");
        var before = Snapshot(output);
        Assert.Contains(Path.Combine("results", "part-00000.parquet"), before.Keys);

        // Tonight's config names five classes for the four-class weights: found by the model probe, before any deletion.
        string broken = TestDatasets.Config(dir, manifest, classes: ["circle", "square", "triangle", "cross", "star"]);
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", broken, "--overwrite"]));
        var after = Snapshot(output);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));

        // A manifest without its required columns is caught before anything is deleted too.
        File.WriteAllText(manifest, "image,label\nx.png,circle\n");
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--overwrite"]));
        Assert.Equal(before.Keys.Count, Snapshot(output).Count);
    }

    [Fact]
    public async Task RunJsonOrReportThisToolDidNotWrite_IsRefusedWithOverwrite_AndKept()
    {
        string dir = TestPaths.NewTempDir("not-ours");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 4));
        string output = Path.Combine(dir, "out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "run.json"), "{\"jobs\": [1, 2, 3]}");
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--overwrite"]));
        Assert.Equal("{\"jobs\": [1, 2, 3]}", File.ReadAllText(Path.Combine(output, "run.json")));
        File.Delete(Path.Combine(output, "run.json"));
        File.WriteAllText(Path.Combine(output, "report.html"), "<p>the team's own page</p>");
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--overwrite"]));
        Assert.Equal("<p>the team's own page</p>", File.ReadAllText(Path.Combine(output, "report.html")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    public void RunName_WithSeparatorsOrDots_IsAConfigError(string name)
    {
        string dir = TestPaths.NewTempDir("name");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 2));
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"name\": \"test\"", "\"name\": " + System.Text.Json.JsonSerializer.Serialize(name), StringComparison.Ordinal));
        var ex = Assert.Throws<GradCamAudit.Options.ConfigException>(() => GradCamAudit.Pipeline.AuditConfig.Load(config));
        Assert.Contains(ex.Errors, e => e.StartsWith("name:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ForeignResultsFolder_IsRefusedEvenWithOverwrite_AndNothingIsDeleted()
    {
        string dir = TestPaths.NewTempDir("foreign");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 4));
        string results = Path.Combine(dir, "out", "results");
        Directory.CreateDirectory(results);
        File.WriteAllText(Path.Combine(results, "quarterly-figures.xlsx"), "someone else's");
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--overwrite"]));
        Assert.True(File.Exists(Path.Combine(results, "quarterly-figures.xlsx")));
        Assert.Single(Directory.EnumerateFileSystemEntries(Path.Combine(dir, "out")));
    }

    [Fact]
    public void Inspect_TellsEmptyRunUnrelatedAndForeign()
    {
        string dir = TestPaths.NewTempDir("inspect");
        var folder = new RunFolder(Path.Combine(dir, "run"));
        Assert.Equal(RunFolderKind.Empty, folder.Inspect(out _));
        Directory.CreateDirectory(folder.Directory);
        Assert.Equal(RunFolderKind.Empty, folder.Inspect(out _));
        File.WriteAllText(Path.Combine(folder.Directory, "notes.txt"), "x");
        Assert.Equal(RunFolderKind.Unrelated, folder.Inspect(out _));
        Directory.CreateDirectory(folder.ResultsDirectory);
        File.WriteAllText(folder.ResultPartPath(0), "x");
        File.WriteAllText(RunFolder.TempPath(folder.ResultPartPath(1)), "x");
        Assert.Equal(RunFolderKind.Run, folder.Inspect(out _));
        File.WriteAllText(Path.Combine(folder.ResultsDirectory, "part-0.parquet"), "x");
        Assert.Equal(RunFolderKind.Foreign, folder.Inspect(out string? reason));
        Assert.Contains("part-0.parquet", reason, StringComparison.Ordinal);
        File.Delete(Path.Combine(folder.ResultsDirectory, "part-0.parquet"));

        folder.DeleteRunArtefacts();
        Assert.False(Directory.Exists(folder.ResultsDirectory));
        Assert.True(File.Exists(Path.Combine(folder.Directory, "notes.txt")), "only the run's own files are deleted");
    }
}
