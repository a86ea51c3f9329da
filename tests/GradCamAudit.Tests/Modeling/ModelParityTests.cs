using System.Text.Json;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary>Our forward pass and Grad-CAM against PyTorch's on torchvision architectures, for every way of loading weights.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelParityTests(ModelFixtures fixtures) : IClassFixture<ModelFixtures>
{
    private static ModelOptions Options(string arch, string weights, string? head = null, int classes = 3, string target = "", int size = 128) =>
        new(arch, weights, "auto", head, classes, size, size, target, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], PreprocessOptions.Default);

    [Theory]
    [InlineData("resnet18", "pytorch")]
    [InlineData("resnet18", "safetensors")]
    [InlineData("resnet18", "torchscript")]
    [InlineData("mobilenet_v2", "pytorch")]
    [InlineData("mobilenet_v2", "safetensors")]
    [InlineData("mobilenet_v2", "torchscript")]
    public void LogitsAndMaps_MatchPyTorch(string arch, string source)
    {
        ModelOptions options = source switch
        {
            "pytorch" => Options(arch, fixtures.File_(arch + ".pt")),
            "safetensors" => Options(arch, fixtures.File_(arch + ".safetensors")),
            _ => Options(TorchScriptModel.ArchitectureName, fixtures.File_(arch + "_trunk.pt"), fixtures.File_(arch + "_head.pt")),
        };
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_(arch + ".json")));
        JsonElement c = doc.RootElement;
        float[] F(string name) => c.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        long[] labels = c.GetProperty("true_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();

        using LoadedModel model = LoadedModel.Load(options, CPU);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(F("input"), [labels.Length, 3, 128, 128]);
        foreach (bool closedForm in new[] { false, true })
        {
            if (closedForm)
            {
                if (explainer.VerifyClosedForm(randn(2, 3, 128, 128)) is null)
                {
                    Assert.Equal("torchscript", source); // TorchScript heads are opaque: autograd only
                    continue;
                }
                Assert.True(explainer.UsesClosedForm, "the GAP+linear head of " + arch + " should pass verification");
            }
            Explanation e = explainer.Explain(x, tensor(labels));
            AssertClose(F("logits"), e.Logits.data<float>().ToArray(), 1e-4, $"{arch}/{source} logits");
            Assert.Equal(c.GetProperty("pred").EnumerateArray().Select(v => v.GetInt64()), e.Predicted.data<long>().ToArray());
            Assert.Equal(new long[] { labels.Length, c.GetProperty("cam_height").GetInt32(), c.GetProperty("cam_width").GetInt32() }, e.PredMaps.shape);
            AssertClose(F("pred_maps"), e.PredMaps.data<float>().ToArray(), 1e-4, $"{arch}/{source} predicted-class maps (closed form: {closedForm})");
            AssertClose(F("true_maps"), e.TrueMaps.data<float>().ToArray(), 1e-4, $"{arch}/{source} true-class maps (closed form: {closedForm})");
        }
    }

    [Fact]
    public void WrongClassCount_ListsTheMismatchingKeysWithBothShapes()
    {
        var ex = Assert.Throws<ConfigException>(() => LoadedModel.Load(Options("resnet18", fixtures.File_("resnet18.pt"), classes: 5), CPU));
        Assert.Contains("fc.weight: file [3, 512] vs model [5, 512]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fc.bias: file [3] vs model [5]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeightsOfAnotherArchitecture_ListMissingAndUnexpectedKeys()
    {
        var ex = Assert.Throws<ConfigException>(() => LoadedModel.Load(Options("resnet18", fixtures.File_("mobilenet_v2.safetensors")), CPU));
        Assert.Contains("missing from", ex.Message, StringComparison.Ordinal);
        Assert.Contains("conv1.weight [64, 3, 7, 7]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not have", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".pt")]
    [InlineData(".safetensors")]
    public void TruncatedWeights_AreAClearError(string extension)
    {
        string truncated = Path.Combine(TestPaths.NewTempDir("trunc"), "resnet18" + extension);
        byte[] all = File.ReadAllBytes(fixtures.File_("resnet18" + extension));
        File.WriteAllBytes(truncated, all[..(all.Length / 2)]);
        var ex = Assert.Throws<ConfigException>(() => LoadedModel.Load(Options("resnet18", truncated), CPU));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains(truncated, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongTargetLayer_ListsTheAvailablePaths()
    {
        var ex = Assert.Throws<ConfigException>(() => LoadedModel.Load(Options("resnet18", fixtures.File_("resnet18.pt"), target: "layer5"), CPU));
        Assert.Contains("no module at 'layer5'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("layer4", ex.Message, StringComparison.Ordinal);
        var nested = Assert.Throws<ConfigException>(() => LoadedModel.Load(Options("resnet18", fixtures.File_("resnet18.pt"), target: "layer4.7"), CPU));
        Assert.Contains("layer4.0, layer4.1", nested.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonDefaultTarget_HasNoClosedForm_AndUsesAutograd()
    {
        using LoadedModel model = LoadedModel.Load(Options("resnet18", fixtures.File_("resnet18.pt"), target: "layer3"), CPU);
        Assert.Null(model.HeadWeight);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Assert.Null(explainer.VerifyClosedForm(randn(1, 3, 128, 128)));
        Explanation e = explainer.Explain(randn(1, 3, 128, 128), tensor(new long[] { 0 }));
        Assert.Equal(new long[] { 1, 8, 8 }, e.PredMaps.shape);
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-6, expected.Max(v => Math.Abs(v)));
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= relative * scale, $"{what}: max abs difference {worst:E2} exceeds {relative:E0} x {scale:E2}");
    }

    [Fact]
    public async Task CoarseTargetMap_IsReportedAtStartAndInTheReport_NamingAFinerLayer()
    {
        string dir = TestPaths.NewTempDir("coarse");
        string config = Path.Combine(dir, "c.json");
        string manifest = Path.Combine(TestPaths.Configs, "demo", "manifest.csv").Replace("\\", "/", StringComparison.Ordinal);
        File.WriteAllText(config, $$"""
        { "dataset": { "manifest": "{{manifest}}", "classes": ["circle", "square", "triangle"] },
          "model": { "architecture": "resnet18", "weights": "{{fixtures.File_("resnet18.pt")}}", "inputSize": [64, 64], "targetLayer": "layer4" },
          "output": { "directory": "out" } }
        """);
        var logs = new List<string>();
        var run = await GradCamAudit.Pipeline.AuditRunner.RunAsync(AuditConfig.Load(config), new GradCamAudit.Pipeline.RunRequest(8, false), logs.Add);
        Assert.Equal(2, run.CamHeight);
        Assert.Contains(run.Warnings, w => w.Contains("2x2", StringComparison.Ordinal) && w.Contains("'layer3'", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.StartsWith("warning:", StringComparison.Ordinal) && l.Contains("layer3", StringComparison.Ordinal));
        Assert.Equal("closed-form", run.CamMethod);
        Assert.Equal(8, run.Counts.ManifestRows);
        string html = File.ReadAllText(GradCamAudit.Reporting.ReportBuilder.Render(Path.Combine(dir, "out"), null));
        Assert.Contains("too coarse", html, StringComparison.Ordinal);
        // Set explicitly and not accepted: no verdict from the 2x2 map, and the page says so at the top.
        Assert.All(GradCamAudit.Findings.FindingsRun.Read(Path.Combine(dir, "out")), f => Assert.Equal((null, GradCamAudit.Findings.FindingKinds.MapTooCoarse), (f.Kind, f.Reason)));
        Assert.Contains("findings-cautions", html, StringComparison.Ordinal);
    }
}
