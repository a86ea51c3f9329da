using System.Text.Json;
using System.Text.Json.Nodes;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Tests.Pipeline;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Models exported by the shipped helper (src/export/export_trunk_head.py) from small seeded torchvision models of
/// every family the helper has a preset for, loaded through the config the helper prints: the logits, the target
/// activations and gradients in the (B,C,h,w) view (tokens and channels-last reshaped as pytorch-grad-cam's
/// reshape_transform) and the Grad-CAM maps of the predicted and true class agree within 1e-4 (relative to the largest
/// value) with an independent PyTorch reference (a forward hook on the original model's module, backward), at the
/// helper's preset cut and at one other.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ExportParityTests(ExportFixtures fixtures, ITestOutputHelper output) : IClassFixture<ExportFixtures>
{
    public static TheoryData<string> Models => ["vit", "swin", "convnext", "efficientnet_b0", "densenet", "regnet_y_400mf"];

    private JsonElement Reference(string name) => JsonDocument.Parse(File.ReadAllText(fixtures.File_(name + ".json"))).RootElement;

    /// <summary>The config a user writes: the demo's dataset and the model block the helper printed, paths made absolute.</summary>
    private ModelOptions Options(JsonElement cut)
    {
        var model = JsonNode.Parse(cut.GetProperty("config").GetRawText())!.AsObject();
        model["weights"] = fixtures.File_(cut.GetProperty("trunk").GetString()!);
        model["head"] = fixtures.File_(cut.GetProperty("head").GetString()!);
        var config = new JsonObject
        {
            ["dataset"] = new JsonObject { ["manifest"] = Path.Combine(TestPaths.Configs, "demo", "manifest.csv"), ["classes"] = new JsonArray("a", "b", "c", "d", "e") },
            ["model"] = model,
        };
        string dir = TestPaths.NewTempDir("export-config");
        string path = Path.Combine(dir, "c.json");
        File.WriteAllText(path, config.ToJsonString());
        return AuditConfig.Load(path, Path.Combine(dir, "out")).Model;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsAndMaps_MatchThePyTorchReference_AtBothCuts(string name)
    {
        JsonElement c = Reference(name);
        int cuts = 0;
        foreach (JsonProperty cut in c.GetProperty("cuts").EnumerateObject())
        {
            var worst = Compare(c, cut.Value, Options(cut.Value));
            output.WriteLine($"parity {name} {cut.Name} ({cut.Value.GetProperty("module").GetString()}, {cut.Value.GetProperty("layout").GetString()}): logits {worst.Logits:E2}, maps {worst.Maps:E2}");
            Assert.True(worst.Logits <= 1e-4 && worst.Maps <= 1e-4, $"{name} at {cut.Name}: logits {worst.Logits:E2}, maps {worst.Maps:E2} (relative)");
            Assert.True(cut.Value.GetProperty("pred_gradients").EnumerateArray().Max(v => Math.Abs(v.GetDouble())) > 0, $"{name} at {cut.Name}: zero gradients, nothing compared");
            cuts++;
        }
        Assert.Equal(2, cuts);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryGradientMethod_GivesFiniteNonNegativeMaps(string name)
    {
        JsonElement c = Reference(name);
        JsonElement cut = c.GetProperty("cuts").EnumerateObject().Single(p => p.Value.GetProperty("preset").GetBoolean()).Value;
        ModelOptions options = Options(cut);
        using LoadedModel model = LoadedModel.Load(options, CPU);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = Input(c, options);
        EngineOutput o = explainer.Run(x, tensor(Labels(c)), ["pred", "true"], null);
        foreach (string method in CamMethods.GradientNames.Where(m => m != "cam")) // cam needs a GAP+linear head the model declares: none through TorchScript
        {
            Tensor maps = o.Maps(CamMethods.Create(method), "pred");
            Assert.Equal([2L, cut.GetProperty("cam_height").GetInt64(), cut.GetProperty("cam_width").GetInt64()], maps.shape);
            Assert.True(maps.isfinite().all().item<bool>() && maps.ge(0).all().item<bool>(), $"{name} {method}: a map with negative or non-finite values");
            output.WriteLine($"{name} {method}: max {maps.max().item<float>():G4}");
        }
    }

    [Fact]
    public void Vit_PatchTokenGradients_AreZeroAtTheLastBlockOutput_NotAtThePresetCut()
    {
        JsonElement g = Reference("vit").GetProperty("patch_gradient_maxabs");
        Assert.Equal(0.0, g.GetProperty("last_block_output").GetDouble());
        Assert.True(g.GetProperty("preset").GetDouble() > 1e-3);
    }

    [Fact]
    public void HeadTracedWithoutGradients_IsRefusedWhenTheModelLoads()
    {
        JsonElement cut = Reference("vit").GetProperty("cuts").GetProperty("preset");
        ModelOptions options = Options(cut) with { Head = fixtures.File_("vit_nograd_head.pt") };
        var ex = Assert.Throws<ConfigException>(() => LoadedModel.Load(options, CPU));
        Assert.Contains("_native_multi_head_attention", ex.Message, StringComparison.Ordinal);
        Assert.Contains("export_trunk_head.py", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A whole audit by the helper's config on the demo's images (resized to the model's input), every family.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public async Task Audit_ByTheHelpersConfig_AuditsEveryRow(string name)
    {
        JsonElement cut = Reference(name).GetProperty("cuts").GetProperty("preset");
        string dir = TestPaths.NewTempDir("export-audit");
        string manifest = TestDatasets.DemoSubset(dir, 8);
        var model = JsonNode.Parse(cut.GetProperty("config").GetRawText())!.AsObject();
        model["weights"] = fixtures.File_(cut.GetProperty("trunk").GetString()!);
        model["head"] = fixtures.File_(cut.GetProperty("head").GetString()!);
        var config = new JsonObject
        {
            ["dataset"] = new JsonObject { ["manifest"] = manifest, ["classes"] = new JsonArray("circle", "square", "triangle", "cross", "other") },
            ["model"] = model,
            ["output"] = new JsonObject { ["directory"] = "out" },
        };
        string path = Path.Combine(dir, "c.json");
        File.WriteAllText(path, config.ToJsonString());
        var run = await AuditRunner.RunAsync(AuditConfig.Load(path), new RunRequest(null, false), _ => { });
        Assert.Equal(8, run.Counts.ManifestRows);
        Assert.Equal(8, run.Counts.Audited);
        Assert.Equal("autograd", run.CamMethod);
        Assert.Equal((cut.GetProperty("cam_height").GetInt32(), cut.GetProperty("cam_width").GetInt32()), (run.CamHeight, run.CamWidth));
        var rows = Duck.Query($"SELECT count(*) AS n, count(DISTINCT sample_id) AS ids, count(pred_energy_in_mask) AS scored FROM {Duck.Results(Path.Combine(dir, "out"))}");
        Assert.Equal(8L, Convert.ToInt64(rows[0]["ids"]));
        output.WriteLine($"{name}: {rows[0]["scored"]} of 8 rows scored (an all-zero map after ReLU has no energy)");
    }

    private static long[] Labels(JsonElement c) => c.GetProperty("true_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static float[] F(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static Tensor Input(JsonElement c, ModelOptions options) => tensor(F(c, "input"), [Labels(c).Length, 3, options.InputHeight, options.InputWidth]);

    /// <summary>The largest relative differences of the logits and of the maps, activations and gradients.</summary>
    private static (double Logits, double Maps) Compare(JsonElement c, JsonElement cut, ModelOptions options)
    {
        using LoadedModel model = LoadedModel.Load(options, CPU);
        Assert.Equal(cut.GetProperty("layout").GetString(), model.View.Layout);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        long[] labels = Labels(c);
        Tensor x = Input(c, options);
        Explanation e = explainer.Explain(x, tensor(labels));
        Assert.Equal([labels.Length, cut.GetProperty("cam_height").GetInt64(), cut.GetProperty("cam_width").GetInt64()], e.PredMaps.shape);
        double logits = Relative(F(c, "logits"), e.Logits);
        double maps = Math.Max(Relative(F(cut, "pred_maps"), e.PredMaps), Relative(F(cut, "true_maps"), e.TrueMaps));
        EngineOutput o = explainer.Run(x, tensor(labels), ["pred", "true"], null);
        maps = Math.Max(maps, Relative(F(cut, "activations"), o.Activations));
        maps = Math.Max(maps, Math.Max(Relative(F(cut, "pred_gradients"), o.Targets["pred"].Gradients), Relative(F(cut, "true_gradients"), o.Targets["true"].Gradients)));
        if (logits <= 1e-4)
        {
            Assert.Equal(c.GetProperty("pred").EnumerateArray().Select(v => v.GetInt64()), e.Predicted.data<long>().ToArray());
        }
        return (logits, maps);
    }

    /// <summary>The largest absolute difference over the largest expected magnitude (an all-zero reference counts as absolute).</summary>
    private static double Relative(float[] expected, Tensor actual)
    {
        float[] a = actual.contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, a.Length);
        double scale = Math.Max(1e-12, expected.Max(v => Math.Abs(v)));
        return expected.Zip(a, (e, v) => Math.Abs(e - v)).Max() / scale;
    }
}
