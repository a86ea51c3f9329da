using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

[Collection(TorchCollection.Name)]
public sealed class GradCamTests
{
    [Fact]
    public void Torch_Initialises_WithPatchedNativeLibrary()
    {
        using Tensor t = ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }

    [Fact]
    public void Maps_HandComputed_WeightsAreSpatialMeanOfGradients_AndReluApplies()
    {
        // A: two channels of 2x2. Gradients: channel 0 all 2 (mean 2), channel 1 mean -1.
        using Tensor a = tensor(new float[] { 1, 2, 3, 4, 4, 0, 1, 2 }, [1, 2, 2, 2]);
        using Tensor g = tensor(new float[] { 2, 2, 2, 2, -4, 0, 0, 0 }, [1, 2, 2, 2]);
        using Tensor map = GradCam.Maps(a, g);
        // 2*A0 - 1*A1 = [2-4, 4-0, 6-1, 8-2] = [-2, 4, 5, 6] -> ReLU -> [0, 4, 5, 6]
        Assert.Equal(new float[] { 0, 4, 5, 6 }, map.data<float>().ToArray());
    }

    [Fact]
    public void Explainer_TinyNetwork_MatchesHandComputedCam()
    {
        // Network: target = 1x1 conv with identity weights on 2 channels (so A = x), then GAP and a linear head.
        // y_c = sum_k W[c,k] * mean(A_k) + b_c, so dy_c/dA_k(i,j) = W[c,k] / (h*w) and the Grad-CAM weight is W[c,k]/4.
        using var net = new TinyNet();
        using var model = LoadedModel.FromModule(net, net.Target, "target", CPU);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        Tensor x = tensor(new float[] { 1, 2, 3, 4, 4, 0, 1, 2 }, [1, 2, 2, 2]);
        Explanation e = explainer.Explain(x, tensor(new long[] { 1 }));
        // Logits: class0 = 1*mean(A0) + 0*mean(A1) = 2.5 ; class1 = -1*2.5 + 2*1.75 = 1.0 -> predicted class 0.
        Assert.Equal(new float[] { 2.5f, 1.0f }, e.Logits.data<float>().ToArray());
        Assert.Equal(0L, e.Predicted.item<long>());
        // Predicted (class 0): weights (1/4, 0) -> 0.25*A0 = [0.25, 0.5, 0.75, 1.0]
        Assert.Equal(new float[] { 0.25f, 0.5f, 0.75f, 1.0f }, e.PredMaps.data<float>().ToArray());
        // True (class 1): weights (-1/4, 2/4) -> -0.25*A0 + 0.5*A1 = [1.75, -0.5, -0.25, 0] -> ReLU -> [1.75, 0, 0, 0]
        Assert.Equal(new float[] { 1.75f, 0f, 0f, 0f }, e.TrueMaps.data<float>().ToArray());
    }

    [Fact]
    public void Explainer_DoesNotComputeParameterGradients()
    {
        using var net = new TinyNet();
        using var model = LoadedModel.FromModule(net, net.Target, "target", CPU);
        using var explainer = new GradCamExplainer(model);
        using var scope = NewDisposeScope();
        explainer.Explain(ones(2, 2, 2, 2), tensor(new long[] { 0, 1 }));
        Assert.All(net.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
    }

    [Fact]
    public void Upsample_IsBilinearWithAlignCornersFalse()
    {
        using Tensor m = tensor(new float[] { 0, 4 }, [1, 1, 2]);
        using Tensor up = GradCam.Upsample(m, 1, 4);
        // align_corners=false: sample points at x = -0.25, 0.25, 0.75, 1.25 (clamped) -> 0, 1, 3, 4
        Assert.Equal(new float[] { 0, 1, 3, 4 }, up.data<float>().ToArray());
        Assert.Equal(new float[] { 0, 1, 3, 4 }, GradCamAudit.Reporting.Overlay.Upsample([0f, 4f], 1, 2, 1, 4));
    }

    [Fact]
    public void ResolveTarget_WrongPath_ListsNearbyPaths()
    {
        using var net = new DemoCnn(4);
        var ex = Assert.Throws<ConfigException>(() => LoadedModel.ResolveTarget(net, "features.42"));
        Assert.Contains("features.9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no module at 'features.42'", ex.Message, StringComparison.Ordinal);
    }

    private sealed class TinyNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> target;
        private readonly nn.Module<Tensor, Tensor> head;

        public TinyNet()
            : base(nameof(TinyNet))
        {
            var conv = nn.Conv2d(2, 2, 1, bias: false);
            var linear = nn.Linear(2, 2);
            using (no_grad())
            {
                conv.weight!.copy_(tensor(new float[] { 1, 0, 0, 1 }, [2, 2, 1, 1]));
                linear.weight!.copy_(tensor(new float[] { 1, 0, -1, 2 }, [2, 2]));
                linear.bias!.zero_();
            }
            target = conv;
            head = linear;
            RegisterComponents();
        }

        public nn.Module<Tensor, Tensor> Target => target;

        public override Tensor forward(Tensor input) => head.call(target.call(input).mean([2, 3]));
    }
}
