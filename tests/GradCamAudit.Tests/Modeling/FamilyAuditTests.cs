using GradCamAudit.Options;
using GradCamAudit.Tests.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Modeling;

/// <summary>A whole audit by config with a family this project builds: torchvision's efficientnet_b0 state_dict, the demo's images.</summary>
[Collection(TorchCollection.Name)]
public sealed class FamilyAuditTests(FamilyFixtures fixtures) : IClassFixture<FamilyFixtures>
{
    [Fact]
    public async Task Audit_EfficientNetB0_ByConfig_UsesTheVerifiedClosedFormAtTheAutoTarget()
    {
        string dir = TestPaths.NewTempDir("family-audit");
        string manifest = TestDatasets.DemoSubset(dir, 8).Replace("\\", "/", StringComparison.Ordinal);
        string config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, $$"""
        { "dataset": { "manifest": "{{manifest}}", "classes": ["circle", "square", "triangle", "cross", "other"] },
          "model": { "architecture": "efficientnet_b0", "weights": "{{fixtures.File_("efficientnet_b0.pt")}}", "inputSize": [128, 128] },
          "output": { "directory": "out" } }
        """);
        var logs = new List<string>();
        var run = await GradCamAudit.Pipeline.AuditRunner.RunAsync(ConfigLoader.Load(config), new GradCamAudit.Pipeline.RunRequest(null, false), logs.Add);
        Assert.Equal("features.8", run.TargetLayer); // 4x4 at 128: the default stage reaches the minimum
        Assert.Equal((4, 4), (run.CamHeight, run.CamWidth));
        Assert.Equal("closed-form", run.CamMethod);
        Assert.Equal(8, run.Counts.ManifestRows);
        Assert.Equal(8, run.Counts.Audited);
        var rows = Duck.Query($"SELECT count(*) AS n, count(DISTINCT sample_id) AS ids FROM {Duck.Results(Path.Combine(dir, "out"))}");
        Assert.Equal(8L, Convert.ToInt64(rows[0]["n"]));
        Assert.Equal(8L, Convert.ToInt64(rows[0]["ids"]));
    }
}
