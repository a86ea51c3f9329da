using GradCamAudit.Benchmarks;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Pipeline;

[Collection(TorchCollection.Name)]
public sealed class BatchScorerTests
{
    private static (LoadedModel Model, BatchScorer Scorer) Build()
    {
        AuditOptions o = AuditConfig.Load(Path.Combine(TestPaths.Configs, "demo.json"));
        LoadedModel model = LoadedModel.Load(o.Model, CPU);
        return (model, new BatchScorer(model, o.Model, o.Audit, o.Dataset.Classes));
    }

    [Fact]
    public void ClosedForm_EqualsAutograd_OnTheDemoModel()
    {
        (LoadedModel model, BatchScorer scorer) = Build();
        using (model)
        using (scorer)
        {
            scorer.Probe();
            Assert.True(scorer.ClosedFormAvailable);
            Assert.True(scorer.ClosedFormDifference < 1e-5);
            using var scope = NewDisposeScope();
            manual_seed(11);
            Tensor x = randn(6, 3, 64, 64);
            Tensor masks = rand(6, 64, 64).gt(0.7).to_type(ScalarType.Float32);
            Tensor y = tensor(new long[] { 0, 1, 2, 3, 2, 1 });
            scorer.PreferClosedForm(true);
            var closed = scorer.Step(x, masks, y);
            scorer.PreferClosedForm(false);
            var autograd = scorer.Step(x, masks, y);
            Assert.Equal("autograd", scorer.Method);
            Assert.Equal(autograd.Maps.Length, closed.Maps.Length);
            float scale = autograd.Maps.Max();
            Assert.All(autograd.Maps.Zip(closed.Maps), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 * scale));
            Assert.All(autograd.Scalars.Zip(closed.Scalars), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4));
        }
    }

    [Fact]
    public void RepeatedBatches_LeaveNoLiveTensorsBehind()
    {
        (LoadedModel model, BatchScorer scorer) = Build();
        using (model)
        using (scorer)
        {
            scorer.Probe();
            using Tensor x = randn(4, 3, 64, 64);
            using Tensor masks = ones(4, 64, 64);
            using Tensor y = tensor(new long[] { 0, 1, 2, 3 });
            foreach (bool closed in new[] { true, false })
            {
                scorer.PreferClosedForm(closed);
                scorer.Step(x, masks, y);
                long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                for (int i = 0; i < 5; i++)
                {
                    scorer.Step(x, masks, y);
                }
                Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }
        }
    }

    [Fact]
    public void Benchmark_SmokeRun_MeasuresEveryMethod()
    {
        var rows = StepBenchmark.Run(["demo-cnn"], [2], 64, 1, CPU, _ => { }).ToList();
        StepResult r = Assert.Single(rows);
        Assert.True(r.Inference > 0 && r.AuditClosedForm > 0 && r.AuditAutograd > 0 && r.Baseline > 0);
        Assert.Contains("| demo-cnn | 64x64 | 16x16 | 2 |", StepBenchmark.Table(rows), StringComparison.Ordinal);
    }

    [Fact]
    public void Baseline_HookAndFullBackward_GivesTheSameMapsAsTheAuditRoute()
    {
        (LoadedModel model, BatchScorer scorer) = Build();
        using (model)
        using (scorer)
        using (var baseline = new HookBackwardBaseline(model))
        using (var explainer = new GradCamExplainer(model))
        {
            using var scope = NewDisposeScope();
            manual_seed(2);
            Tensor x = randn(3, 3, 64, 64);
            Tensor y = tensor(new long[] { 1, 2, 3 });
            (Tensor pred, Tensor truth) = baseline.Step(x, y, 64, 64);
            Explanation e = explainer.Explain(x, y);
            Assert.True(GradCam.Upsample(e.PredMaps, 64, 64).allclose(pred, rtol: 1e-4, atol: 1e-6));
            Assert.True(GradCam.Upsample(e.TrueMaps, 64, 64).allclose(truth, rtol: 1e-4, atol: 1e-6));
            Assert.All(model.Network.parameters(), p => Assert.False(p.requires_grad));
        }
    }
}
