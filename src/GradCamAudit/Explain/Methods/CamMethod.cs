using static TorchSharp.torch;

namespace GradCamAudit.Explain.Methods;

/// <summary>
/// What a method sees for one target: target-layer activations A (B,K,h,w), the gradients G = ∂y_c/∂A of the target's
/// logits (B,K,h,w; a broadcast view in the closed form of a GAP+linear head), the target classes (B) and, where the
/// architecture declares a GAP+linear head, its weight W (C,K).
/// </summary>
public sealed record CamInput(Tensor Activations, Tensor Gradients, Tensor Classes, Tensor? HeadWeight);

/// <summary>One CAM method: turns activations and gradients into maps (B,h,w), non-negative, unnormalised.</summary>
public abstract class CamMethod
{
    /// <summary>Small constant of the divisions, as in the reference implementations.</summary>
    protected const double Eps = 1e-7;

    public abstract string Name { get; }

    /// <summary>True when the method uses the target's gradients (false: class-agnostic, e.g. Eigen-CAM).</summary>
    public virtual bool UsesGradients => true;

    public abstract Tensor Compute(CamInput input);

    /// <summary>ReLU(Σ_k w_k A_k) for channel weights (B,K).</summary>
    protected static Tensor Weighted(Tensor activations, Tensor weights) =>
        nn.functional.relu((weights.unsqueeze(-1).unsqueeze(-1) * activations).sum(1));
}
