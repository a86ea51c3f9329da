using GradCamAudit.Modeling;
using static TorchSharp.torch;

namespace GradCamAudit.Explain;

/// <summary>Logits, predictions and the target-layer Grad-CAM maps for the predicted and the true class.</summary>
public sealed record Explanation(Tensor Logits, Tensor Predicted, Tensor PredMaps, Tensor TrueMaps);

/// <summary>
/// Runs one forward pass per batch and differentiates only what Grad-CAM needs.
/// <para>Autograd route (any architecture): parameters are frozen and a forward hook on the target replaces its
/// output by <c>output.detach().requires_grad_(true)</c>, so only the layers after the target build a graph;
/// <c>torch.autograd.grad</c> of the summed selected logits with respect to that leaf gives every sample's
/// gradient (samples are independent in eval mode), with no parameter gradients.</para>
/// <para>Closed-form route: where the model declares a GAP+linear head reading the target, the maps are
/// <see cref="GradCam.ClosedFormMaps"/> under no_grad, with no backward at all. It is used only after
/// <see cref="VerifyClosedForm"/> has shown it equal to the autograd route on this model.</para>
/// </summary>
public sealed class GradCamExplainer : IDisposable
{
    private readonly LoadedModel model;
    private Tensor? captured;
    private bool differentiable = true;

    public GradCamExplainer(LoadedModel model)
    {
        this.model = model;
    }

    /// <summary>True when maps come from the closed form of a GAP+linear head rather than from autograd.</summary>
    public bool UsesClosedForm { get; private set; }

    /// <summary>
    /// Compares both routes on <paramref name="probe"/> (random classes) and switches to the closed form when they
    /// agree to <paramref name="tolerance"/> relative to the largest map value. Returns the largest difference seen
    /// (null when the model has no qualifying head).
    /// </summary>
    public double? VerifyClosedForm(Tensor probe, double tolerance = 1e-4)
    {
        if (model.HeadWeight is null)
        {
            return null;
        }
        using var scope = NewDisposeScope();
        Tensor classes = randint(model.HeadWeight.shape[0], [probe.shape[0]], device: model.Device);
        UsesClosedForm = false;
        Explanation reference = Explain(probe, classes);
        UsesClosedForm = true;
        Explanation closed = Explain(probe, classes);
        double scale = Math.Max(1e-12, reference.PredMaps.abs().max().item<float>());
        double diff = Math.Max(
            (reference.PredMaps - closed.PredMaps).abs().max().item<float>(),
            (reference.TrueMaps - closed.TrueMaps).abs().max().item<float>());
        bool logitsAgree = reference.Logits.allclose(closed.Logits, rtol: 1e-5, atol: 1e-6);
        ClosedFormVerified = logitsAgree && diff <= tolerance * scale;
        UsesClosedForm = ClosedFormVerified;
        return diff / scale;
    }

    /// <summary>True once <see cref="VerifyClosedForm"/> has shown the closed form equal to autograd on this model.</summary>
    public bool ClosedFormVerified { get; private set; }

    /// <summary>Chooses the route: the closed form only where it was verified.</summary>
    public void PreferClosedForm(bool prefer) => UsesClosedForm = prefer && ClosedFormVerified;

    /// <summary>
    /// Explains a normalised batch (B,3,H,W) on the model's device; results live in the caller's dispose scope.
    /// The target hook exists only during this call, so plain inference elsewhere runs without it.
    /// </summary>
    public Explanation Explain(Tensor input, Tensor trueLabels)
    {
        var hook = model.Target.register_forward_hook(Capture);
        try
        {
            return UsesClosedForm ? ExplainClosedForm(input, trueLabels) : ExplainAutograd(input, trueLabels);
        }
        finally
        {
            hook.remove();
            captured?.Dispose();
            captured = null;
        }
    }

    private Tensor Capture(nn.Module<Tensor, Tensor> module, Tensor input, Tensor output)
    {
        captured?.Dispose();
        if (!differentiable)
        {
            captured = output.alias().DetachFromDisposeScope();
            return null!;
        }
        Tensor leaf = output.detach().requires_grad_(true);
        captured = leaf.alias().DetachFromDisposeScope();
        return leaf;
    }

    private (Tensor Logits, Tensor Activations, Tensor Predicted) Forward(Tensor input)
    {
        Tensor logits = model.Network.call(input);
        Tensor activations = captured ?? throw new InvalidOperationException($"target layer '{model.TargetPath}' did not run during the forward pass");
        return (logits, activations, logits.argmax(1));
    }

    private Explanation ExplainAutograd(Tensor input, Tensor trueLabels)
    {
        differentiable = true;
        using (enable_grad())
        {
            (Tensor logits, Tensor activations, Tensor predicted) = Forward(input);
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

    private Explanation ExplainClosedForm(Tensor input, Tensor trueLabels)
    {
        differentiable = false;
        using (inference_mode())
        {
            (Tensor logits, Tensor activations, Tensor predicted) = Forward(input);
            return new Explanation(logits, predicted,
                GradCam.ClosedFormMaps(activations, model.HeadWeight!, predicted),
                GradCam.ClosedFormMaps(activations, model.HeadWeight!, trueLabels));
        }
    }

    public void Dispose()
    {
        captured?.Dispose();
        captured = null;
    }
}
