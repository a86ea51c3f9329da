using System.Text.Json;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Scoring;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

/// <summary>
/// Parity with an independent PyTorch reference (fixtures/parity/make_fixtures.py, Debian's python3-torch):
/// same weights, same inputs; logits, Grad-CAM maps (predicted and true class) and energy-in-mask must agree.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ParityTests
{
    private sealed record WeightEntry(string Name, long[] Shape, long Offset);

    [Fact]
    public void DemoCnn_LogitsMapsAndEnergy_MatchPyTorchReference()
    {
        string dir = Path.Combine(TestPaths.Fixtures, "parity");
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "cases.json")));
        JsonElement c = cases.RootElement;
        float[] F(string name) => c.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        int size = c.GetProperty("size").GetInt32();
        DemoCnn net = LoadReferenceDemoCnn();
        using var model = LoadedModel.FromModule(net, LoadedModel.ResolveTarget(net, "features.9"), "features.9", CPU);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        long[] trueLabels = c.GetProperty("true_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Tensor x = tensor(F("input"), [trueLabels.Length, 3, size, size]);
        Explanation e2 = explainer.Explain(x, tensor(trueLabels));

        AssertClose(F("logits"), e2.Logits.data<float>().ToArray(), 1e-4);
        Assert.Equal(c.GetProperty("pred").EnumerateArray().Select(v => v.GetInt64()), e2.Predicted.data<long>().ToArray());
        AssertClose(F("pred_maps"), e2.PredMaps.data<float>().ToArray(), 1e-4);
        AssertClose(F("true_maps"), e2.TrueMaps.data<float>().ToArray(), 1e-4);

        Tensor masks = tensor(F("masks"), [trueLabels.Length, size, size]);
        var settings = new MetricSettings(0, 0.15);
        MetricTensors mp = MaskMetrics.Score(GradCam.Upsample(e2.PredMaps, size, size), masks, settings);
        MetricTensors mt = MaskMetrics.Score(GradCam.Upsample(e2.TrueMaps, size, size), masks, settings);
        AssertClose(F("pred_energy_in_mask"), mp.EnergyInMask.data<float>().ToArray(), 1e-4);
        AssertClose(F("true_energy_in_mask"), mt.EnergyInMask.data<float>().ToArray(), 1e-4);
    }

    /// <summary>The demo CNN with the reference script's seeded weights (fixtures/parity/weights.bin and weights.json).</summary>
    internal static DemoCnn LoadReferenceDemoCnn()
    {
        string dir = Path.Combine(TestPaths.Fixtures, "parity");
        var opts = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        var entries = JsonSerializer.Deserialize<WeightEntry[]>(File.ReadAllText(Path.Combine(dir, "weights.json")), opts)!;
        byte[] raw = File.ReadAllBytes(Path.Combine(dir, "weights.bin"));
        var net = new DemoCnn(4);
        var state = net.state_dict();
        Assert.Equal(entries.Select(e => e.Name).Order(), state.Keys.Order());
        using (no_grad())
        {
            foreach (WeightEntry e in entries)
            {
                int count = (int)e.Shape.Aggregate(1L, (a, b) => a * b);
                var values = new float[count];
                Buffer.BlockCopy(raw, (int)e.Offset * 4, values, 0, count * 4);
                state[e.Name].copy_(tensor(values, e.Shape));
            }
        }
        return net;
    }

    internal static void AssertClose(float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-6, expected.Max(v => Math.Abs(v)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"index {i}: expected {expected[i]}, got {actual[i]} (scale {scale})");
        }
    }
}
