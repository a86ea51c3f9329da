using System.Runtime.InteropServices;
using GradCamAudit.Modeling;
using static TorchSharp.torch;

namespace GradCamAudit.Explain;

/// <summary>Logits, predictions and the target-layer Grad-CAM maps for the predicted and the true class.</summary>
public sealed record Explanation(Tensor Logits, Tensor Predicted, Tensor PredMaps, Tensor TrueMaps);

/// <summary>One target's classes (B) and the gradients of their logits with respect to the target activations (B,K,h,w).</summary>
public sealed record TargetGradients(Tensor Classes, Tensor Gradients);

/// <summary>
/// One forward pass and the gradients of every target: what every method needs, computed once whatever the number
/// of methods (maps are keyed by method and target).
/// </summary>
public sealed record EngineOutput(Tensor Logits, Tensor Predicted, Tensor Activations, IReadOnlyDictionary<string, TargetGradients> Targets, Tensor? HeadWeight)
{
    /// <summary>The maps (B,h,w) of <paramref name="method"/> for <paramref name="target"/>.</summary>
    public Tensor Maps(Methods.CamMethod method, string target)
    {
        TargetGradients t = Targets[target];
        return method.Compute(new Methods.CamInput(Activations, t.Gradients, t.Classes, HeadWeight));
    }
}

/// <summary>
/// Runs one forward pass per batch and differentiates only what Grad-CAM needs.
/// <para>Autograd route (any architecture): parameters are frozen and a forward hook on the target replaces its
/// output by <c>output.detach().requires_grad_(true)</c>, so only the layers after the target build a graph;
/// <c>torch.autograd.grad</c> of the summed selected logits with respect to that leaf gives every sample's
/// gradient (samples are independent in eval mode), with no parameter gradients.</para>
/// <para>Closed-form route: where the model declares a GAP+linear head reading the target, the gradients are
/// W[c,k]/(h·w) (Selvaraju et al., "Grad-CAM generalizes CAM"), a broadcast view under inference mode, with no
/// backward at all (<see cref="RunClosedForm"/>). It is used only after
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
    /// Explains a normalised batch (B,3,H,W) on the model's device with Grad-CAM for the predicted and the true class;
    /// results live in the caller's dispose scope.
    /// </summary>
    public Explanation Explain(Tensor input, Tensor trueLabels)
    {
        EngineOutput o = Run(input, trueLabels, ["pred", "true"], null);
        var gradcam = new Methods.GradCamMethod();
        return new Explanation(o.Logits, o.Predicted, o.Maps(gradcam, "pred"), o.Maps(gradcam, "true"));
    }

    /// <summary>
    /// The engine: one forward pass, then the gradients of the summed logits of each target (<see cref="CamTargets"/>
    /// names: pred, true, top1..., class:name) with respect to the detached target activations, one
    /// <c>autograd.grad</c> per target through the layers after the target only; or, in the verified closed form of a
    /// GAP+linear head, G = W[c]/(h·w) broadcast, with no backward at all. The target hook exists only during this
    /// call, so plain inference elsewhere runs without it.
    /// </summary>
    public EngineOutput Run(Tensor input, Tensor trueLabels, IReadOnlyList<string> targets, IReadOnlyList<string>? classNames)
    {
        var hook = model.Target.register_forward_hook(Capture);
        try
        {
            return UsesClosedForm ? RunClosedForm(input, trueLabels, targets, classNames) : RunAutograd(input, trueLabels, targets, classNames);
        }
        finally
        {
            hook.remove();
            captured?.Dispose();
            captured = null;
        }
    }

    /// <summary>The logits (n,C) of normalised inputs (n,3,H,W), in inference mode, without the target hook.</summary>
    public Tensor Logits(Tensor inputs)
    {
        using (inference_mode())
        {
            return model.Network.call(inputs);
        }
    }

    /// <summary>
    /// The logits (n,C) when the target layer's output is replaced by <paramref name="activations"/> (n,K,h,w, in the
    /// model's <see cref="TrunkView"/>: written back into tokens or channels-last, prefix tokens kept): the
    /// layers after the target run on them. The layers before the target run once, on <paramref name="sample"/>
    /// (1,3,H,W) alone: the hook hands the n copies on, and whatever after the target still reads an earlier output
    /// (a residual inside the target's block) broadcasts its batch of 1 against the n copies, the same values for every
    /// copy. Where an architecture cannot broadcast there (a concatenation with an earlier feature map) or the logits
    /// come back without one row per copy, the sample is repeated n times instead (any architecture, at the cost of
    /// running the layers before the target on every copy).
    /// </summary>
    public Tensor ForwardFromTarget(Tensor sample, Tensor activations)
    {
        long n = activations.shape[0];
        if (!repeatPrefix)
        {
            try
            {
                Tensor logits = CallWithTarget(sample, activations);
                if (logits.dim() == 2 && logits.shape[0] == n)
                {
                    return logits;
                }
            }
            catch (Exception ex) when (ex is ExternalException or ArgumentException or InvalidOperationException)
            {
                // A shape the batch of 1 cannot broadcast to: repeat the sample from now on.
            }
            repeatPrefix = true;
        }
        return CallWithTarget(sample.expand(n, -1, -1, -1), activations);
    }

    private bool repeatPrefix;

    private Tensor CallWithTarget(Tensor input, Tensor activations)
    {
        var hook = model.Target.register_forward_hook((_, _, output) => model.View.IsIdentity ? activations : model.View.FromGrid(activations, output));
        try
        {
            using (inference_mode())
            {
                return model.Network.call(input);
            }
        }
        finally
        {
            hook.remove();
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

    /// <summary>The classes (B) each target names.</summary>
    private static Tensor Classes(string target, Tensor logits, Tensor predicted, Tensor trueLabels, IReadOnlyList<string>? classNames)
    {
        if (target == "pred")
        {
            return predicted;
        }
        if (target == "true")
        {
            return trueLabels;
        }
        if (target.StartsWith("class:", StringComparison.Ordinal))
        {
            int index = classNames?.ToList().IndexOf(target[6..]) ?? -1;
            return full(predicted.shape[0], (long)Math.Max(0, index), ScalarType.Int64, predicted.device);
        }
        int k = int.Parse(target.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture);
        return logits.detach().topk(k, dim: 1).indexes.select(1, k - 1);
    }

    private EngineOutput RunAutograd(Tensor input, Tensor trueLabels, IReadOnlyList<string> targets, IReadOnlyList<string>? classNames)
    {
        differentiable = true;
        using (enable_grad())
        {
            (Tensor logits, Tensor activations, Tensor predicted) = Forward(input);
            var result = new Dictionary<string, TargetGradients>(StringComparer.Ordinal);
            for (int i = 0; i < targets.Count; i++)
            {
                Tensor classes = Classes(targets[i], logits, predicted, trueLabels, classNames);
                Tensor score = logits.gather(1, classes.unsqueeze(1)).sum();
                Tensor gradient = autograd.grad([score], [activations], retain_graph: i < targets.Count - 1)[0];
                result[targets[i]] = new TargetGradients(classes, model.View.ToGrid(gradient));
            }
            using (no_grad())
            {
                return new EngineOutput(logits.detach(), predicted, model.View.ToGrid(activations.detach()), result, model.HeadWeight);
            }
        }
    }

    private EngineOutput RunClosedForm(Tensor input, Tensor trueLabels, IReadOnlyList<string> targets, IReadOnlyList<string>? classNames)
    {
        differentiable = false;
        using (inference_mode())
        {
            (Tensor logits, Tensor activations, Tensor predicted) = Forward(input);
            long b = activations.shape[0], k = activations.shape[1], h = activations.shape[2], w = activations.shape[3];
            var result = new Dictionary<string, TargetGradients>(StringComparer.Ordinal);
            foreach (string target in targets)
            {
                Tensor classes = Classes(target, logits, predicted, trueLabels, classNames);
                // ∂y_c/∂A_k(i,j) = W[c,k]/(h·w) for y_c = Σ_k W[c,k]·mean_ij A_k(i,j) + b_c: a broadcast view, no copy.
                Tensor gradient = (model.HeadWeight!.index_select(0, classes) / (h * w)).view(b, k, 1, 1).expand(b, k, h, w);
                result[target] = new TargetGradients(classes, gradient);
            }
            // A new handle in the caller's scope: the captured one is released when the hook is removed.
            return new EngineOutput(logits, predicted, activations.alias(), result, model.HeadWeight);
        }
    }

    public void Dispose()
    {
        captured?.Dispose();
        captured = null;
    }
}
