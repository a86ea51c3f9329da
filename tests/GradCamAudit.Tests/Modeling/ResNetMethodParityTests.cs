using System.Text.Json;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Every CAM method on torchvision's resnet18 against the independent reference (fixtures/models/make_model_fixtures.py
/// with fixtures/methods/cam_methods.py, Debian's python3-torch): at layer4, where the GAP + linear head makes the
/// gradients spatially constant (both gradient routes), and at layer3, where the methods differ.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ResNetMethodParityTests(ModelFixtures fixtures) : IClassFixture<ModelFixtures>
{
    [Theory]
    [InlineData("layer4", false)]
    [InlineData("layer4", true)]
    [InlineData("layer3", false)]
    public void EveryMethod_MatchesTheReference_OnResNet18(string layer, bool closedForm)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_("resnet18_methods.json")));
        JsonElement root = doc.RootElement;
        long[] labels = root.GetProperty("true_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        float[] input = root.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        int size = root.GetProperty("size").GetInt32();
        JsonElement expected = root.GetProperty("layers").GetProperty(layer);

        var options = new ModelOptions("resnet18", fixtures.File_("resnet18.pt"), "auto", null, 3, size, size, layer, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], PreprocessOptions.Default);
        using LoadedModel model = LoadedModel.Load(options, CPU);
        using var engine = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        if (closedForm)
        {
            Assert.NotNull(engine.VerifyClosedForm(randn(2, 3, size, size)));
            Assert.True(engine.UsesClosedForm);
        }
        EngineOutput output = engine.Run(tensor(input, [labels.Length, 3, size, size]), tensor(labels), ["pred", "true"], null);
        int compared = 0;
        foreach (string name in CamMethods.GradientNames)
        {
            foreach (string target in new[] { "pred", "true" })
            {
                if (!expected.TryGetProperty($"{name}|{target}", out JsonElement e))
                {
                    continue;
                }
                float[] want = e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
                float[] got = output.Maps(CamMethods.Create(name), target).contiguous().data<float>().ToArray();
                GradCamAudit.Tests.Explain.ParityTests.AssertClose(want, got, 1e-4);
                compared++;
            }
        }
        Assert.Equal(layer == "layer4" ? 14 : 12, compared);
    }

    /// <summary>Score-CAM and Ablation-CAM on resnet18 (64x64 inputs: 512 and 256 channels) against the reference's per-channel loops.</summary>
    [Theory]
    [InlineData("layer4")]
    [InlineData("layer3")]
    public void PerturbationMethods_MatchTheReference_OnResNet18(string layer)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_("resnet18_perturbation.json")));
        JsonElement root = doc.RootElement;
        int size = root.GetProperty("size").GetInt32();
        float[] input = root.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        long[] pred = root.GetProperty("pred").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var options = new ModelOptions("resnet18", fixtures.File_("resnet18.pt"), "auto", null, 3, size, size, layer, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], PreprocessOptions.Default);
        using LoadedModel model = LoadedModel.Load(options, CPU);
        using var engine = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(input, [pred.Length, 3, size, size]);
        EngineOutput output = engine.Run(x, tensor(pred), ["pred"], null);
        Assert.Equal(pred, output.Predicted.data<long>().ToArray());
        foreach (string name in new[] { "scorecam", "ablationcam" })
        {
            var got = new List<float>();
            for (int i = 0; i < pred.Length; i++)
            {
                Tensor sample = x.narrow(0, i, 1);
                var pin = new GradCamAudit.Explain.Methods.PerturbationInput(sample, output.Activations.narrow(0, i, 1), output.Logits[i], engine.Logits, a => engine.ForwardFromTarget(sample, a), 128);
                got.AddRange(CamMethods.CreatePerturbation(name).Maps(pin, output.Predicted.narrow(0, i, 1)).contiguous().data<float>().ToArray());
            }
            float[] want = root.GetProperty("layers").GetProperty(layer).GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.True(want.Max() > 0, $"{name} at {layer}: the reference map is all zero, a weak test");
            // Ablation-CAM's weights are differences of nearly equal logits, (y_c - y_c^k) / y_c: float32 rounding
            // that differs with the batch size (128 ablated copies here, one at a time in the reference) is amplified.
            GradCamAudit.Tests.Explain.ParityTests.AssertClose(want, got.ToArray(), name == "ablationcam" ? 2e-3 : 1e-4);
        }
    }
}
