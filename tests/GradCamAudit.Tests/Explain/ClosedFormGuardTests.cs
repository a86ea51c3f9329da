using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Pipeline;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

/// <summary>
/// The closed form is a claim about the model, checked before use: a declared GAP+linear head whose weight is not
/// what the network uses (a wrong layer named in an architecture table, say) disagrees with autograd on the probe, is
/// refused, the maps come from autograd, and the difference is reported. The true head is accepted.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ClosedFormGuardTests
{
    private static LoadedModel ResNet(Func<nn.Module, Tensor> headWeight)
    {
        Torch.Initialise();
        manual_seed(7);
        var network = torchvision.models.resnet18(num_classes: 5);
        network.eval();
        foreach (var p in network.parameters())
        {
            p.requires_grad = false;
        }
        return LoadedModel.FromModule(network, LoadedModel.ResolveTarget(network, "layer4"), "layer4", CPU, headWeight(network));
    }

    [Fact]
    public void DeclaredHeadThatDisagreesWithAutograd_IsRefused_AndTheDifferenceReported()
    {
        using LoadedModel wrong = ResNet(_ => randn(5, 512).DetachFromDisposeScope());
        using var explainer = new GradCamExplainer(wrong);
        manual_seed(3);
        double? difference = explainer.VerifyClosedForm(randn(2, 3, 64, 64));
        Assert.NotNull(difference);
        Assert.True(difference > 1e-2, $"difference {difference}");
        Assert.False(explainer.ClosedFormVerified);
        Assert.False(explainer.UsesClosedForm);
        explainer.PreferClosedForm(true);
        Assert.False(explainer.UsesClosedForm); // never without verification

        using LoadedModel right = ResNet(n => n.named_modules().Single(m => m.name == "fc").module is TorchSharp.Modules.Linear fc ? fc.weight!.detach().DetachFromDisposeScope() : throw new InvalidOperationException());
        using var trusted = new GradCamExplainer(right);
        manual_seed(3);
        Assert.True(trusted.VerifyClosedForm(randn(2, 3, 64, 64)) < 1e-4);
        Assert.True(trusted.ClosedFormVerified);
        Assert.True(trusted.UsesClosedForm);
    }
}
