using GradCamAudit.Modeling;
using static TorchSharp.torch;

namespace GradCamAudit.Explain;

/// <summary>Logits, predictions and the target-layer Grad-CAM maps for the predicted and the true class.</summary>
public sealed record Explanation(Tensor Logits, Tensor Predicted, Tensor PredMaps, Tensor TrueMaps);

/// <summary>
/// Runs one forward pass per batch and differentiates only what Grad-CAM needs. Parameters are frozen and a
/// forward hook on the target replaces its output by <c>output.detach().requires_grad_(true)</c>, so only the
/// layers after the target build a graph; <c>torch.autograd.grad</c> of the summed selected logits with respect
/// to that leaf gives every sample's gradient (samples are independent in eval mode) without parameter gradients.
/// Works for any architecture whose target module is called through <c>call</c>.
/// </summary>
public sealed class GradCamExplainer : IDisposable
{
    private readonly LoadedModel model;
    private readonly nn.Module<Tensor, Tensor>.HookRemover hook;
    private Tensor? captured;

    public GradCamExplainer(LoadedModel model)
    {
        this.model = model;
        hook = model.Target.register_forward_hook((_, _, output) =>
        {
            Tensor leaf = output.detach().requires_grad_(true);
            captured?.Dispose();
            captured = leaf.alias().DetachFromDisposeScope();
            return leaf;
        });
    }

    /// <summary>Explains a normalised batch (B,3,H,W) on the model's device; results live in the caller's dispose scope.</summary>
    public Explanation Explain(Tensor input, Tensor trueLabels)
    {
        try
        {
            using (enable_grad())
            {
                Tensor logits = model.Network.call(input);
                Tensor activations = captured ?? throw new InvalidOperationException($"target layer '{model.TargetPath}' did not run during the forward pass");
                Tensor predicted = logits.argmax(1);
                Tensor predScore = logits.gather(1, predicted.unsqueeze(1)).sum();
                Tensor trueScore = logits.gather(1, trueLabels.unsqueeze(1)).sum();
                Tensor predGrad = autograd.grad([predScore], [activations], retain_graph: true)[0];
                Tensor trueGrad = autograd.grad([trueScore], [activations])[0];
                using (no_grad())
                {
                    Tensor a = activations.detach();
                    return new Explanation(logits.detach(), predicted, GradCam.Maps(a, predGrad), GradCam.Maps(a, trueGrad));
                }
            }
        }
        finally
        {
            captured?.Dispose();
            captured = null;
        }
    }

    public void Dispose() => hook.remove();
}
