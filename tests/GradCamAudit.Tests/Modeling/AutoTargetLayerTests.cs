using GradCamAudit.Findings;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary><c>model.targetLayer: auto</c> and the default: the deepest stage whose map reaches <c>findings.minMapSize</c>.</summary>
[Collection(TorchCollection.Name)]
public sealed class AutoTargetLayerTests(ModelFixtures fixtures) : IClassFixture<ModelFixtures>
{
    private static ModelOptions Options(string weights, int size, string target) =>
        new("resnet18", weights, "auto", null, 3, size, size, target, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], PreprocessOptions.Default);

    [Theory]
    [InlineData(224, "", 4, "layer4")] // 7x7: the architecture's own default
    [InlineData(64, "", 4, "layer3")] // layer4 would give 2x2
    [InlineData(64, "auto", 4, "layer3")]
    [InlineData(64, "auto", 8, "layer2")]
    [InlineData(64, "auto", 100, "layer1")] // none reaches it: the finest stage
    [InlineData(64, "layer4", 4, "layer4")] // set explicitly: kept
    public void Load_ChoosesTheDeepestStageReachingTheMinimum(int size, string configured, int minSide, string expected)
    {
        using LoadedModel model = LoadedModel.Load(Options(fixtures.File_("resnet18.pt"), size, configured), CPU, minSide);
        Assert.Equal(expected, model.TargetPath);
    }

    [Fact]
    public void Choose_ReportsEveryStagesMapSize()
    {
        using LoadedModel model = LoadedModel.Load(Options(fixtures.File_("resnet18.pt"), 64, "layer4"), CPU);
        AutoTargetLayer.Choice choice = AutoTargetLayer.Choose(model.Network, LoadedModel.StagesOf("resnet18")!, 64, 64, 4);
        Assert.Equal([("layer1", 16, 16), ("layer2", 8, 8), ("layer3", 4, 4), ("layer4", 2, 2)], choice.Probed);
        Assert.Equal("layer3", choice.Path);
    }

    [Fact]
    public async Task Audit_Resnet18At64_WithNoTargetLayer_PublishesNoVerdictFromA2x2Map()
    {
        string dir = TestPaths.NewTempDir("auto-target");
        string config = Path.Combine(dir, "c.json");
        string manifest = Path.Combine(TestPaths.Configs, "demo", "manifest.csv").Replace("\\", "/", StringComparison.Ordinal);
        File.WriteAllText(config, $$"""
        { "dataset": { "manifest": "{{manifest}}", "classes": ["circle", "square", "triangle"] },
          "model": { "architecture": "resnet18", "weights": "{{fixtures.File_("resnet18.pt")}}", "inputSize": [64, 64] },
          "output": { "directory": "out" } }
        """);
        var run = await GradCamAudit.Pipeline.AuditRunner.RunAsync(AuditConfig.Load(config), new GradCamAudit.Pipeline.RunRequest(8, false), _ => { });
        Assert.Equal("layer3", run.TargetLayer); // recorded in run.json
        Assert.Equal((4, 4), (run.CamHeight, run.CamWidth));
        var findings = FindingsRun.Read(Path.Combine(dir, "out"));
        Assert.Equal(run.Counts.Audited, findings.Count);
        Assert.True(findings.Count > 0);
        Assert.DoesNotContain(findings, f => f.Reason == FindingKinds.MapTooCoarse);
    }
}
