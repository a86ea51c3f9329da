using System.Text.Json;
using GradCamAudit.Explain;
using GradCamAudit.Explain.Checks;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Tests.Pipeline;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

/// <summary>Spearman, deletion and insertion by hand and against the reference, and the sampled checks in a real audit.</summary>
[Collection(TorchCollection.Name)]
public sealed class SampledChecksTests
{
    [Fact]
    public void Spearman_HandComputed_TiesAveraged_ConstantIsNull()
    {
        Assert.Equal(1.0, Spearman.Correlation([1, 2, 3, 4], [10, 20, 35, 90])!.Value, 12);
        Assert.Equal(-1.0, Spearman.Correlation([1, 2, 3, 4], [4, 3, 2, 1])!.Value, 12);
        // Ranks (1.5, 1.5, 3) against (1, 2, 3): covariance 1.5, variances 1.5 and 2.
        Assert.Equal(1.5 / Math.Sqrt(3), Spearman.Correlation([5, 5, 7], [1, 2, 3])!.Value, 12);
        Assert.Equal([1.5, 1.5, 3.0], Spearman.Ranks([5, 5, 7]));
        Assert.Null(Spearman.Correlation([2, 2, 2], [1, 2, 3]));
    }

    [Fact]
    public void DeletionAndInsertion_HandComputed_OnAOnePixelClassifier()
    {
        // Class 0's logit is 10 times pixel (0,0) of channel 0; class 1's is 0. x(0,0) = 1, every other value 0.
        using var scope = NewDisposeScope();
        Tensor x = zeros(1, 3, 2, 2);
        x[0, 0, 0, 0] = tensor(1f);
        Tensor Logits(Tensor inputs) => stack([inputs[.., 0, 0, 0] * 10, zeros(inputs.shape[0])], 1);
        double p = 1 / (1 + Math.Exp(-10));
        // The map ranks (0,0) first: deletion removes it at the first of 4 stages, the probability falls to 0.5.
        Tensor first = tensor(new float[] { 4, 3, 2, 1 }, [2, 2]);
        (double deletion, double insertion) = Faithfulness.Auc(x, first, 0, 4, Logits, 2);
        Assert.Equal(((p + (4 * 0.5)) - ((p + 0.5) / 2)) / 4, deletion, 7); // float32 logits
        // Insertion starts from the blurred copy: (0,0) holds the kernel's centre weight, 1/(Σ g)², until it is put back.
        double sum = Enumerable.Range(-5, 11).Sum(i => Math.Exp(-(i * i) / 50.0));
        double blurred = 1 / (1 + Math.Exp(-10 / (sum * sum)));
        Assert.Equal(((blurred + (4 * p)) - ((blurred + p) / 2)) / 4, insertion, 6);
        // The map ranks (0,0) last: deletion keeps the evidence to the end.
        (deletion, _) = Faithfulness.Auc(x, tensor(new float[] { 1, 2, 3, 4 }, [2, 2]), 0, 4, Logits, 3);
        Assert.Equal(((4 * p) + 0.5 - ((p + 0.5) / 2)) / 4, deletion, 7);
    }

    [Fact]
    public void Faithfulness_MatchesTheReference()
    {
        (int size, long[] labels, float[] input, JsonElement layer) = MethodParityTests.Case("features.9");
        JsonElement expected = layer.GetProperty("faithfulness|gradcam|pred");
        DemoCnn net = ParityTests.LoadReferenceDemoCnn();
        using var model = LoadedModel.FromModule(net, LoadedModel.ResolveTarget(net, "features.9"), "features.9", CPU, null);
        using var engine = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(input, [labels.Length, 3, size, size]);
        EngineOutput output = engine.Run(x, tensor(labels), ["pred"], null);
        Tensor maps = GradCam.Upsample(output.Maps(new GradCamAudit.Explain.Methods.GradCamMethod(), "pred"), size, size);
        maps = (maps / maps.amax([1, 2], keepdim: true) * 1000).round() / 1000; // quantised as the reference does, so both sort the same values
        for (int i = 0; i < labels.Length; i++)
        {
            // Logits scaled by 50 (as in the reference), so the probabilities move and the AUCs tell orderings apart.
            (double deletion, double insertion) = Faithfulness.Auc(x.narrow(0, i, 1), maps[i], output.Predicted[i].item<long>(), 8, t => engine.Logits(t) * 50, 4);
            Assert.Equal(expected[i][0].GetDouble(), deletion, 5);
            Assert.Equal(expected[i][1].GetDouble(), insertion, 5);
        }
    }

    [Fact]
    public async Task Checks_OnTheirSample_LeaveTheMainResultsUntouched_AndCallOutAClassAgnosticMethod()
    {
        string dir = TestPaths.NewTempDir("checks");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 24), audit: "\"batchSize\": 8, \"partRows\": 8");
        string[] methods = ["explain.methods=[\"gradcam\",\"eigencam\"]", "model.targetLayer=\"features.7\""];
        AuditOptions plain = AuditConfig.Load(config, Path.Combine(dir, "plain"), methods);
        AuditOptions checkedRun = AuditConfig.Load(config, Path.Combine(dir, "checked"), [.. methods, "explain.faithfulnessSample=6", "explain.sanitySample=\"50%\"", "explain.faithfulnessSteps=8"]);
        await AuditRunner.RunAsync(plain, new RunRequest(null, false), _ => { });
        await AuditRunner.RunAsync(checkedRun, new RunRequest(null, false), _ => { });

        // The randomised weights never leak into a batch: every main result equals the run without checks.
        string Main(string d) => $"SELECT row, pred_label, pred_energy_lift, pred_cam FROM {Duck.Results(d)} ORDER BY row";
        var a = Duck.Query(Main(plain.Output.Directory));
        var b = Duck.Query(Main(checkedRun.Output.Directory));
        Assert.Equal(24, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i]["pred_label"], b[i]["pred_label"]);
            Assert.Equal(Duck.Floats(a[i]["pred_cam"]), Duck.Floats(b[i]["pred_cam"]));
        }

        string explanations = $"read_parquet('{Path.Combine(checkedRun.Output.Directory, "explanations", "*.parquet")}')";
        // Faithfulness: on the (method, pred) rows of exactly 6 samples, AUCs in [0, 1].
        var faithful = Duck.Query($"SELECT method, count(*) AS n, min(deletion_auc) AS lo, max(insertion_auc) AS hi FROM {explanations} WHERE deletion_auc IS NOT NULL GROUP BY method ORDER BY method");
        Assert.Equal(["eigencam", "gradcam"], faithful.Select(r => (string)r["method"]!));
        Assert.All(faithful, r => Assert.Equal(6L, Convert.ToInt64(r["n"])));
        Assert.All(faithful, r => Assert.InRange(Convert.ToDouble(r["lo"]), 0, 1));
        Assert.Equal(0L, Convert.ToInt64(Duck.Query($"SELECT count(*) AS n FROM {explanations} WHERE deletion_auc IS NOT NULL AND target <> 'pred'")[0]["n"]));

        // Sanity: features.7 is followed by features.8 and the classifier: two cascade steps, the classifier first.
        var steps = Duck.Query($"SELECT DISTINCT target FROM {explanations} WHERE target LIKE 'randomised:%' ORDER BY target").Select(r => (string)r["target"]!).ToList();
        Assert.Equal(["randomised:1:classifier", "randomised:2:features.8"], steps);
        // Eigen-CAM reads only the target's activations: its maps do not change at all. Grad-CAM's do.
        var rho = Duck.Query($"SELECT method, avg(sanity_spearman) AS mean, count(*) AS n FROM {explanations} WHERE target LIKE 'randomised:%' GROUP BY method ORDER BY method");
        Assert.Equal(1.0, Convert.ToDouble(rho[0]["mean"]), 9);
        Assert.True(Convert.ToDouble(rho[1]["mean"]) < 0.9, $"Grad-CAM's maps should change under randomisation (mean rho {rho[1]["mean"]})");
        long sampled = Convert.ToInt64(rho[1]["n"]) / 2;
        Assert.InRange(sampled, 6, 18); // about half of 24, chosen by hash
        string html = File.ReadAllText(Path.Combine(checkedRun.Output.Directory, "report.html"));
        Assert.Contains("<section id=\"sanity\">", html, StringComparison.Ordinal);
        Assert.Contains("<section id=\"faithfulness\">", html, StringComparison.Ordinal);
        Assert.Contains("eigencam: its maps barely change", html, StringComparison.Ordinal);
        Assert.DoesNotContain("gradcam: its maps barely change", html, StringComparison.Ordinal);
    }

    private sealed class ThrowingMethod : GradCamAudit.Explain.Methods.CamMethod
    {
        public override string Name => "throws";

        public override Tensor Compute(GradCamAudit.Explain.Methods.CamInput input) => throw new InvalidOperationException("injected");
    }

    [Fact]
    public void SanityCheck_AMethodThrowingMidCascade_LeavesTheTrainedWeightsRestored()
    {
        DemoCnn net = ParityTests.LoadReferenceDemoCnn();
        using var model = LoadedModel.FromModule(net, LoadedModel.ResolveTarget(net, "features.7"), "features.7", CPU, null);
        using var engine = new GradCamExplainer(model);
        float[][] Weights() => net.parameters().Select(p => p.detach().clone().data<float>().ToArray()).ToArray();
        float[][] before = Weights();
        using var checks = new SampledChecks(model, engine, [("throws", new ThrowingMethod())], null, 8,
            SampleSelector.Create("100%", 0, () => Array.Empty<ulong>()), 0, 4, 32, 32);
        using var scope = NewDisposeScope();
        Tensor x = randn(2, 3, 32, 32);
        var maps = new Dictionary<string, Tensor> { ["throws"] = ones(2, 8, 8) };
        Assert.Throws<InvalidOperationException>(() => checks.Sanity(x, tensor(new long[] { 0, 1 }), maps, [true, true]));
        float[][] after = Weights();
        Assert.Equal(before.Length, after.Length);
        Assert.All(Enumerable.Range(0, before.Length), i => Assert.Equal(before[i], after[i]));
    }
}
