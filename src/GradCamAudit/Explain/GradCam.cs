using static TorchSharp.torch;

namespace GradCamAudit.Explain;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017, eq. 1-2): channel weights α_k = mean_ij ∂y_c/∂A_k(i,j), map = ReLU(Σ_k α_k A_k).
/// Pure tensor math, batched and device-agnostic.
/// </summary>
public static class GradCam
{
    /// <summary>Maps (B,h,w) from activations and gradients, both (B,K,h,w).</summary>
    public static Tensor Maps(Tensor activations, Tensor gradients)
    {
        using var scope = NewDisposeScope();
        return WeightedMaps(activations, gradients.mean([2, 3])).MoveToOuterDisposeScope();
    }

    /// <summary>ReLU(Σ_k w_k A_k) for per-sample channel weights (B,K) and activations (B,K,h,w).</summary>
    public static Tensor WeightedMaps(Tensor activations, Tensor weights)
    {
        using var scope = NewDisposeScope();
        return nn.functional.relu((weights.unsqueeze(-1).unsqueeze(-1) * activations).sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The closed form for a global-average-pooling + linear head (Selvaraju et al., "Grad-CAM generalizes CAM"):
    /// y_c = Σ_k W[c,k]·mean_ij A_k(i,j) + b_c, so ∂y_c/∂A_k(i,j) = W[c,k]/(h·w) and α_k = W[c,k]/(h·w).
    /// <paramref name="headWeight"/> is (C,K); <paramref name="classes"/> (B,) picks each sample's class.
    /// </summary>
    public static Tensor ClosedFormMaps(Tensor activations, Tensor headWeight, Tensor classes)
    {
        using var scope = NewDisposeScope();
        long hw = activations.shape[2] * activations.shape[3];
        return WeightedMaps(activations, headWeight.index_select(0, classes) / hw).MoveToOuterDisposeScope();
    }

    /// <summary>Bilinear upsampling (align_corners = false, as PyTorch's default) of (B,h,w) maps to (B,H,W).</summary>
    public static Tensor Upsample(Tensor maps, int height, int width)
    {
        using var scope = NewDisposeScope();
        Tensor up = nn.functional.interpolate(maps.unsqueeze(1), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return up.squeeze(1).MoveToOuterDisposeScope();
    }
}
