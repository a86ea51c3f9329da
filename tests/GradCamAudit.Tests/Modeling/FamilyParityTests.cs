using System.Text.Json;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// The families this project builds itself (EfficientNet, DenseNet, MobileNetV3, RegNet) against torchvision 0.14 run by
/// PyTorch (fixtures/families/make_family_fixtures.py): torchvision's state_dict loads key by key, and the logits, the
/// target activations, the gradients and the Grad-CAM maps of the predicted and true class agree within 1e-4 (relative to the largest value) at the default
/// target, by autograd and, where the head is GAP + linear, by the verified closed form, and at one earlier layer.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FamilyParityTests(FamilyFixtures fixtures, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<FamilyFixtures>
{
    private const int Size = 64;

    private static ModelOptions Options(string arch, string weights, string target) =>
        new(arch, weights, "pytorch", null, 5, Size, Size, target, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], PreprocessOptions.Default);

    [Theory]
    [InlineData("efficientnet_b0", "features.8", true)]
    [InlineData("efficientnet_b0", "features.5", false)]
    [InlineData("efficientnet_b2", "features.8", true)]
    [InlineData("efficientnet_b2", "features.5", false)]
    [InlineData("densenet121", "features", true)]
    [InlineData("densenet121", "features.denseblock3", false)]
    [InlineData("mobilenet_v3_small", "features.12", false)]
    [InlineData("mobilenet_v3_small", "features.8", false)]
    [InlineData("mobilenet_v3_large", "features.16", false)]
    [InlineData("mobilenet_v3_large", "features.12", false)]
    [InlineData("regnet_y_400mf", "trunk_output", true)]
    [InlineData("regnet_y_400mf", "trunk_output.block3", false)]
    [InlineData("regnet_x_400mf", "trunk_output", true)]
    [InlineData("regnet_x_400mf", "trunk_output.block3", false)]
    public void LogitsAndMaps_MatchTorchvision(string arch, string target, bool closedForm)
    {
        using LoadedModel model = LoadedModel.Load(Options(arch, fixtures.File_(arch + ".pt"), target), CPU);
        Assert.Equal(closedForm, model.HeadWeight is not null);
        var worst = Compare(arch, model, target, closedForm);
        output.WriteLine($"parity {arch} {target}: logits {worst.Logits:E2}, maps {worst.Maps:E2}");
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_(arch + ".json"))))
        {
            // A reference worth comparing with: logits of order 1 and gradients that are not all zero.
            Assert.True(doc.RootElement.GetProperty("logits").EnumerateArray().Max(v => Math.Abs(v.GetDouble())) > 0.05, $"{arch}: reference logits too small to compare");
            Assert.True(doc.RootElement.GetProperty("layers").GetProperty(target).GetProperty("pred_gradients").EnumerateArray().Max(v => Math.Abs(v.GetDouble())) > 0, $"{arch}: zero gradients");
        }
        Assert.True(worst.Logits <= 1e-4 && worst.Maps <= 1e-4, $"{arch} at {target}: logits {worst.Logits:E2}, maps {worst.Maps:E2} (relative)");
    }

    /// <summary>The comparison above sees the details it guards: each break below makes it fail.</summary>
    [Theory]
    [InlineData("efficientnet_b0", "features.8", "eps")] // BatchNorm eps 1e-3 instead of torchvision's 1e-5
    [InlineData("efficientnet_b0", "features.8", "se")] // squeeze-excitation skipped in one block
    [InlineData("efficientnet_b2", "features.5", "se")]
    [InlineData("densenet121", "features", "relu5")] // the head reading the features before torchvision's ReLU
    [InlineData("densenet121", "features.denseblock3", "eps")]
    [InlineData("mobilenet_v3_small", "features.12", "se")]
    [InlineData("mobilenet_v3_large", "features.16", "eps")] // eps 1e-5 instead of 1e-3
    [InlineData("regnet_y_400mf", "trunk_output", "se")]
    [InlineData("regnet_x_400mf", "trunk_output.block3", "eps")]
    public void Parity_FailsWhenADetailIsBroken(string arch, string target, string broken)
    {
        using LoadedModel model = LoadedModel.Load(Options(arch, fixtures.File_(arch + ".pt"), target), CPU);
        var modules = model.Network.named_modules().ToList();
        var removers = new List<Action>();
        switch (broken)
        {
            case "eps":
                foreach (var bn in modules.Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm2d>())
                {
                    bn.eps = bn.eps == 1e-3 ? 1e-5 : 1e-3;
                }
                break;
            case "se":
                var se = (nn.Module<Tensor, Tensor>)modules.Last(m => m.module is GradCamAudit.Modeling.Families.SqueezeExcitation).module;
                removers.Add(se.register_forward_hook((_, input, _) => input.alias()).remove);
                break;
            default:
                var relu = (nn.Module<Tensor, Tensor>)modules.Single(m => m.name == "features.relu5").module;
                removers.Add(relu.register_forward_hook((_, input, _) => input.alias()).remove);
                break;
        }
        var worst = Compare(arch, model, target, closedForm: false);
        removers.ForEach(r => r());
        output.WriteLine($"broken {arch} {target} {broken}: logits {worst.Logits:E2}, maps {worst.Maps:E2}");
        Assert.True(Math.Max(worst.Logits, worst.Maps) > 1e-3, $"{arch} with {broken} broken still agrees: logits {worst.Logits:E2}, maps {worst.Maps:E2}");
    }

    /// <summary>The largest relative differences of logits and maps over both routes (the closed form only where it applies).</summary>
    private (double Logits, double Maps) Compare(string arch, LoadedModel model, string target, bool closedForm)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_(arch + ".json")));
        JsonElement c = doc.RootElement;
        JsonElement layer = c.GetProperty("layers").GetProperty(target);
        static float[] F(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        long[] labels = c.GetProperty("true_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(F(c, "input"), [labels.Length, 3, Size, Size]);
        double logits = 0, maps = 0;
        foreach (bool closed in closedForm ? new[] { false, true } : [false])
        {
            if (closed)
            {
                Assert.True(explainer.VerifyClosedForm(randn(2, 3, Size, Size)) <= 1e-4 && explainer.UsesClosedForm, $"{arch}: the closed form should pass verification");
            }
            Explanation e = explainer.Explain(x, tensor(labels));
            Assert.Equal(new long[] { labels.Length, layer.GetProperty("cam_height").GetInt32(), layer.GetProperty("cam_width").GetInt32() }, e.PredMaps.shape);
            logits = Math.Max(logits, Relative(F(c, "logits"), e.Logits));
            maps = Math.Max(maps, Math.Max(Relative(F(layer, "pred_maps"), e.PredMaps), Relative(F(layer, "true_maps"), e.TrueMaps)));
            // The engine's inputs to every method: the target activations and both targets' gradients.
            EngineOutput o = explainer.Run(x, tensor(labels), ["pred", "true"], null);
            maps = Math.Max(maps, Relative(F(layer, "activations"), o.Activations));
            maps = Math.Max(maps, Math.Max(Relative(F(layer, "pred_gradients"), o.Targets["pred"].Gradients), Relative(F(layer, "true_gradients"), o.Targets["true"].Gradients)));
            if (logits <= 1e-4)
            {
                Assert.Equal(c.GetProperty("pred").EnumerateArray().Select(v => v.GetInt64()), e.Predicted.data<long>().ToArray());
            }
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
