using System.Text.Json;
using GradCamAudit.Explain;
using GradCamAudit.Explain.Methods;
using GradCamAudit.Modeling;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

/// <summary>
/// Every CAM method against an independent PyTorch reference (fixtures/methods/make_method_fixtures.py, Debian's
/// python3-torch, each paper's equations in its own code): the demo CNN at features.9 (GAP + linear follows) by both
/// gradient routes, and at features.7 (one block earlier, where Grad-CAM, XGrad-CAM and HiResCAM differ); targets
/// pred, true and top2; maps within 1e-4 of the largest value.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MethodParityTests
{
    private static readonly string[] Targets = ["pred", "true", "top2"];

    /// <summary>The reference's input, labels and, for <paramref name="layer"/>, its expected maps (cases.json).</summary>
    internal static (int Size, long[] Labels, float[] Input, JsonElement Expected) Case(string layer)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "methods", "cases.json")));
        JsonElement root = doc.RootElement;
        return (root.GetProperty("size").GetInt32(), root.GetProperty("true_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray(),
            root.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray(), root.GetProperty("layers").GetProperty(layer).Clone());
    }

    [Theory]
    [InlineData("features.9", false)]
    [InlineData("features.9", true)]
    [InlineData("features.7", false)]
    public void EveryMethod_MatchesTheReference(string layer, bool closedForm)
    {
        (int size, long[] labels, float[] input, JsonElement expected) = Case(layer);

        DemoCnn net = ParityTests.LoadReferenceDemoCnn();
        Tensor? head = layer == "features.9" ? net.named_parameters().Single(p => p.name == "classifier.weight").parameter.detach().clone() : null;
        using var model = LoadedModel.FromModule(net, LoadedModel.ResolveTarget(net, layer), layer, CPU, head);
        using var engine = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(input, [labels.Length, 3, size, size]);
        if (closedForm)
        {
            Assert.NotNull(engine.VerifyClosedForm(randn(2, 3, size, size)));
            Assert.True(engine.UsesClosedForm, "the closed form should verify on a GAP + linear head");
        }
        EngineOutput output = engine.Run(x, tensor(labels), Targets, null);

        int compared = 0;
        foreach (string name in CamMethods.GradientNames)
        {
            CamMethod method = CamMethods.Create(name);
            foreach (string target in Targets)
            {
                if (!expected.TryGetProperty($"{name}|{target}", out JsonElement e))
                {
                    continue;
                }
                float[] want = e.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                float[] got = output.Maps(method, target).contiguous().data<float>().ToArray();
                ParityTests.AssertClose(want, got, 1e-4);
                compared++;
            }
            Assert.Equal(expected.GetProperty("classes|" + "top2").EnumerateArray().Select(v => v.GetInt64()), output.Targets["top2"].Classes.data<long>().ToArray());
        }
        Assert.Equal(layer == "features.9" ? 21 : 18, compared);
    }

    /// <summary>Score-CAM and Ablation-CAM, sample by sample, against the reference's plain per-channel loops.</summary>
    [Theory]
    [InlineData("features.9", 1)]
    [InlineData("features.9", 64)]
    [InlineData("features.7", 7)]
    public void PerturbationMethods_MatchTheReference_WhateverTheChunk(string layer, int chunk)
    {
        (int size, long[] labels, float[] input, JsonElement expected) = Case(layer);

        DemoCnn net = ParityTests.LoadReferenceDemoCnn();
        using var model = LoadedModel.FromModule(net, LoadedModel.ResolveTarget(net, layer), layer, CPU, null);
        using var engine = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(input, [labels.Length, 3, size, size]);
        EngineOutput output = engine.Run(x, tensor(labels), ["pred", "true"], null);
        foreach (string name in new[] { "scorecam", "ablationcam" })
        {
            PerturbationMethod method = CamMethods.CreatePerturbation(name);
            foreach (string target in new[] { "pred", "true" })
            {
                var maps = new List<float>();
                for (int i = 0; i < labels.Length; i++)
                {
                    Tensor sample = x.narrow(0, i, 1);
                    var pin = new PerturbationInput(sample, output.Activations.narrow(0, i, 1), output.Logits[i], engine.Logits, a => engine.ForwardFromTarget(sample, a), chunk);
                    maps.AddRange(method.Maps(pin, output.Targets[target].Classes.narrow(0, i, 1)).contiguous().data<float>().ToArray());
                }
                float[] want = expected.GetProperty($"{name}|{target}").GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                Assert.True(want.Max() > 0, $"{name}|{target}: the reference map is all zero, a weak test");
                ParityTests.AssertClose(want, maps.ToArray(), 1e-4);
            }
        }
    }

    [Fact]
    public void AtTheLastBlock_GradCamXGradCamAndHiResCam_Coincide_OneBlockEarlier_TheyDiffer()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "methods", "cases.json")));
        float[] Map(string layer, string key)
        {
            float[] v = doc.RootElement.GetProperty("layers").GetProperty(layer).GetProperty(key).GetProperty("values").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            float max = v.Max();
            return v.Select(x => x / max).ToArray(); // scale-free comparison
        }
        double Diff(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(Diff(Map("features.9", "gradcam|pred"), Map("features.9", "hirescam|pred")) < 1e-4);
        Assert.True(Diff(Map("features.9", "gradcam|pred"), Map("features.9", "xgradcam|pred")) < 0.2);
        Assert.True(Diff(Map("features.7", "gradcam|pred"), Map("features.7", "hirescam|pred")) > 1e-2);
    }
}
