using GradCamAudit.Pipeline;
using GradCamAudit.Tests.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Modeling;

/// <summary>A whole audit by config with each family this project builds: torchvision's state_dicts, the demo's images at 128x128.</summary>
[Collection(TorchCollection.Name)]
public sealed class FamilyAuditTests(FamilyFixtures fixtures) : IClassFixture<FamilyFixtures>
{
    [Theory]
    [InlineData("efficientnet_b0", "features.8", "closed-form")] // 4x4 at 128: the default stage reaches the minimum
    [InlineData("densenet121", "features", "closed-form")]
    [InlineData("mobilenet_v3_small", "features.12", "autograd")] // MLP head: no closed form
    [InlineData("regnet_y_400mf", "trunk_output", "closed-form")]
    public async Task Audit_ByConfig_UsesTheAutoTargetAndTheRightRoute(string arch, string target, string route)
    {
        string dir = TestPaths.NewTempDir("family-audit");
        string manifest = TestDatasets.DemoSubset(dir, 8).Replace("\\", "/", StringComparison.Ordinal);
        string config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, $$"""
        { "dataset": { "manifest": "{{manifest}}", "classes": ["circle", "square", "triangle", "cross", "other"] },
          "model": { "architecture": "{{arch}}", "weights": "{{fixtures.File_(arch + ".pt")}}", "inputSize": [128, 128] },
          "output": { "directory": "out" } }
        """);
        var logs = new List<string>();
        var run = await GradCamAudit.Pipeline.AuditRunner.RunAsync(AuditConfig.Load(config), new GradCamAudit.Pipeline.RunRequest(null, false), logs.Add);
        Assert.Equal(target, run.TargetLayer);
        Assert.Equal((4, 4), (run.CamHeight, run.CamWidth));
        Assert.Equal(route, run.CamMethod);
        Assert.Equal(8, run.Counts.ManifestRows);
        Assert.Equal(8, run.Counts.Audited);
        var rows = Duck.Query($"SELECT count(*) AS n, count(DISTINCT sample_id) AS ids FROM {Duck.Results(Path.Combine(dir, "out"))}");
        Assert.Equal(8L, Convert.ToInt64(rows[0]["n"]));
        Assert.Equal(8L, Convert.ToInt64(rows[0]["ids"]));
    }
}
