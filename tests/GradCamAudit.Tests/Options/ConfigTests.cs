using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Options;

[Collection(TorchCollection.Name)]
public sealed class ConfigTests
{
    private static string Write(string json)
    {
        string dir = TestPaths.NewTempDir("cfg");
        string path = Path.Combine(dir, "c.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string DemoWeights => Path.Combine(TestPaths.Configs, "demo", "demo-cnn.bin").Replace("\\", "/", StringComparison.Ordinal);

    private static string DemoManifest => Path.Combine(TestPaths.Configs, "demo", "manifest.csv").Replace("\\", "/", StringComparison.Ordinal);

    [Fact]
    public void Load_ListsEveryProblemAtOnce()
    {
        string path = Write("""
        {
          // comments are allowed
          "dataset": { "manifest": "nope.csv", "classes": ["a", "b"], "colour": 1 },
          "model": { "weights": "nope.bin", "numClasses": 3, "inputSize": [64], "std": [1, 0, 1] },
          "audit": { "batchSize": 0, "device": "gpu", "iouTopFraction": 2 },
          "extra": true,
        }
        """);
        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(path));
        string[] expected =
        [
            "dataset.manifest: file not found", "dataset.colour: unknown key", "model.weights: file not found",
            "model.numClasses: 3 does not match the 2 class names", "model.inputSize", "model.std",
            "audit.batchSize: 0 is out of range", "audit.device: 'gpu'", "audit.iouTopFraction: 2 is out of range", "extra: unknown key",
        ];
        foreach (string e in expected)
        {
            Assert.Contains(ex.Errors, m => m.StartsWith(e, StringComparison.Ordinal));
        }
        Assert.Equal(expected.Length, ex.Errors.Count);
    }

    [Fact]
    public void Load_ResolvesPathsRelativeToTheConfigFile()
    {
        AuditOptions o = AuditConfig.Load(Path.Combine(TestPaths.Configs, "demo.json"));
        Assert.Equal(Path.Combine(TestPaths.Configs, "demo", "manifest.csv"), o.Dataset.Manifest);
        Assert.Equal(Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, "reports", "demo")), o.Output.Directory);
        Assert.Equal(4, o.Dataset.Classes.Count);
    }

    [Fact]
    public async Task UnknownTargetLayer_IsAConfigError_BeforeAnySampleIsRead()
    {
        string path = Write($$"""
        { "dataset": { "manifest": "{{DemoManifest}}", "classes": ["circle", "square", "triangle", "cross"] },
          "model": { "weights": "{{DemoWeights}}", "inputSize": [64, 64], "targetLayer": "features.99" }, "output": { "directory": "out" } }
        """);
        var ex = await Assert.ThrowsAsync<ConfigException>(() => AuditRunner.RunAsync(AuditConfig.Load(path), new RunRequest(null, false), _ => { }));
        Assert.Contains("features.99", ex.Message, StringComparison.Ordinal);
        Assert.Contains("features.9", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, "out", "results")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "out", "errors.csv")));
    }

    [Fact]
    public async Task ClassCountMismatch_IsAConfigError_AfterLoading()
    {
        string path = Write($$"""
        { "dataset": { "manifest": "{{DemoManifest}}", "classes": ["circle", "square", "triangle", "cross", "star"] },
          "model": { "weights": "{{DemoWeights}}", "inputSize": [64, 64] }, "output": { "directory": "out" } }
        """);
        var ex = await Assert.ThrowsAsync<ConfigException>(() => AuditRunner.RunAsync(AuditConfig.Load(path), new RunRequest(null, false), _ => { }));
        Assert.Contains("numClasses=5", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "out", "errors.csv")));
    }

    [Fact]
    public void ManifestWithoutRequiredColumns_IsAConfigError()
    {
        string dir = TestPaths.NewTempDir("hdr");
        File.WriteAllText(Path.Combine(dir, "m.csv"), "picture,label\na.png,0\n");
        var ex = Assert.Throws<ConfigException>(() => new GradCamAudit.Data.ManifestReader(Path.Combine(dir, "m.csv"), ["a"]));
        Assert.Contains("lacks the column(s) image (", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("resnet18-pytorch.json")]
    [InlineData("mobilenet_v2-safetensors.json")]
    [InlineData("torchscript.json")]
    [InlineData("dataset-imagefolder.json")]
    [InlineData("dataset-coco.json")]
    [InlineData("dataset-voc.json")]
    public void ExampleConfigs_AreValid_ExceptForTheUsersOwnFiles(string name)
    {
        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(Path.Combine(TestPaths.Configs, "examples", name)));
        Assert.All(ex.Errors, e => Assert.Contains("file not found", e, StringComparison.Ordinal));
    }

    [Fact]
    public void ExampleConfig_TorchSharpDemo_Loads()
    {
        AuditOptions o = AuditConfig.Load(Path.Combine(TestPaths.Configs, "examples", "torchsharp-demo.json"));
        Assert.Equal("torchsharp", o.Model.WeightsFormat);
    }

    [Fact]
    public void DatasetKeys_EveryProblemListedAtOnce()
    {
        string dir = TestPaths.NewTempDir("dskeys");
        string config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, $$"""
        {
          "dataset": { "format": "coco", "crowd": "maybe", "sampling": "all", "unannotated": "warn", "maskExtension": "png", "root": ".", "classes": ["a"] },
          "model": { "weights": {{System.Text.Json.JsonSerializer.Serialize(TestDatasets.DemoWeights)}} }
        }
        """);
        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(config));
        foreach (string expected in new[] { "dataset.annotations: required", "dataset.images: required", "dataset.crowd: 'maybe'", "dataset.sampling: 'all'", "dataset.unannotated: 'warn'", "dataset.maskExtension: 'png'", "dataset.root: not used by format 'coco'" })
        {
            Assert.Contains(ex.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
        }
    }
}
