using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Options;

/// <summary>The region keys of issue 22 (dataset.vocRegions, dataset.vocDifficult, an optional dataset.masks): errors listed with every other config error.</summary>
[Collection(TorchCollection.Name)]
public sealed class MaskConfigTests
{
    private static string Weights => Path.Combine(TestPaths.Configs, "demo", "demo-cnn.bin").Replace("\\", "/", StringComparison.Ordinal);

    private static string Write(string dir, string dataset)
    {
        string path = Path.Combine(dir, "c.json");
        File.WriteAllText(path, $$"""
        {
          "dataset": { {{dataset}}, "classes": ["circle", "square"] },
          "model": { "weights": "{{Weights}}", "numClasses": 2, "inputSize": [64, 64] },
          "audit": { "batchSize": 0 }
        }
        """);
        return path;
    }

    [Fact]
    public void Load_BadVocRegionKeys_AreListedAtOnceWithTheOtherErrors()
    {
        string dir = TestPaths.NewTempDir("mask-cfg");
        Directory.CreateDirectory(Path.Combine(dir, "voc", "ImageSets", "Main"));
        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(Write(dir, "\"format\": \"voc\", \"root\": \"voc\", \"vocRegions\": \"polygons\", \"vocDifficult\": \"maybe\"")));
        Assert.Contains(ex.Errors, e => e.StartsWith("dataset.vocRegions: 'polygons' is not one of segmentation, boxes", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("dataset.vocDifficult: 'maybe' is not one of void, object, ignore", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("audit.batchSize", StringComparison.Ordinal));

        ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(Write(dir, "\"format\": \"voc\", \"root\": \"voc\", \"vocRegions\": \"boxes\"")));
        Assert.Contains(ex.Errors, e => e.Contains("ImageSets/Main/val.txt' not found", StringComparison.Ordinal));
        ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(Write(dir, "\"manifest\": \"m.csv\", \"vocRegions\": \"boxes\"")));
        Assert.Contains(ex.Errors, e => e.StartsWith("dataset.vocRegions: only used by format 'voc'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_ImageFolderWithoutMasks_IsValid()
    {
        string dir = TestPaths.NewTempDir("mask-cfg-folder");
        Directory.CreateDirectory(Path.Combine(dir, "images", "circle"));
        string path = Write(dir, "\"format\": \"imagefolder\", \"images\": \"images\"");
        File.WriteAllText(Path.Combine(dir, "c.json"), File.ReadAllText(path).Replace("\"batchSize\": 0", "\"batchSize\": 4", StringComparison.Ordinal));
        AuditOptions options = AuditConfig.Load(path);
        Assert.Null(options.Dataset.SourceSettings.Masks);
    }
}
