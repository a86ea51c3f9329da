using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

/// <summary>The layers after the target on replaced activations (Ablation-CAM's forward): the prefix once, or repeated where it cannot broadcast.</summary>
[Collection(TorchCollection.Name)]
public sealed class ForwardFromTargetTests
{
    /// <summary>pre (1x1 conv) → target (1x1 conv) → joined with pre's output (a residual sum or a concatenation) → mean → linear.</summary>
    private sealed class JoinNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> pre;
        private readonly nn.Module<Tensor, Tensor> target;
        private readonly nn.Module<Tensor, Tensor> head;
        private readonly bool concatenate;

        public JoinNet(bool concatenate)
            : base(nameof(JoinNet))
        {
            manual_seed(7);
            pre = nn.Conv2d(2, 2, 1);
            target = nn.Conv2d(2, 2, 1);
            head = nn.Linear(concatenate ? 4 : 2, 3);
            this.concatenate = concatenate;
            RegisterComponents();
        }

        public List<long> PreBatches { get; } = [];

        public nn.Module<Tensor, Tensor> Pre => pre;

        public nn.Module<Tensor, Tensor> Target => target;

        public Tensor Head(Tensor targetOutput, Tensor preOutput) =>
            head.call((concatenate ? cat([targetOutput, preOutput], 1) : targetOutput + preOutput).mean([2, 3]));

        public override Tensor forward(Tensor input)
        {
            Tensor p = pre.call(input);
            PreBatches.Add(p.shape[0]);
            return Head(target.call(p), p);
        }
    }

    [Theory]
    [InlineData(false, 1L)] // a residual: the prefix runs once, its batch of 1 broadcasts
    [InlineData(true, 4L)] // a concatenation cannot broadcast: the sample is repeated for every copy
    public void ForwardFromTarget_EqualsThePerCopyComputation(bool concatenate, long prefixBatch)
    {
        using var scope = NewDisposeScope();
        var net = new JoinNet(concatenate);
        net.eval();
        using var model = LoadedModel.FromModule(net, net.Target, "target", CPU, null);
        using var engine = new GradCamExplainer(model);
        manual_seed(3);
        Tensor sample = randn(1, 2, 3, 3);
        Tensor copies = randn(4, 2, 3, 3);
        Tensor expected;
        using (no_grad())
        {
            Tensor p = net.Pre.call(sample).expand(4, -1, -1, -1);
            expected = net.Head(copies, p);
        }
        net.PreBatches.Clear();
        Tensor logits = engine.ForwardFromTarget(sample, copies);
        Assert.Equal([4L, 3L], logits.shape);
        Assert.True(logits.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(prefixBatch, net.PreBatches.Last());
        // The choice sticks: the next call goes the same way at once.
        net.PreBatches.Clear();
        engine.ForwardFromTarget(sample, copies);
        Assert.Equal([prefixBatch], net.PreBatches);
    }
}
