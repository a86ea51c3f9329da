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
        Tensor weights = gradients.mean([2, 3], keepdim: true);
        return nn.functional.relu((weights * activations).sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Bilinear upsampling (align_corners = false, as PyTorch's default) of (B,h,w) maps to (B,H,W).</summary>
    public static Tensor Upsample(Tensor maps, int height, int width)
    {
        using var scope = NewDisposeScope();
        Tensor up = nn.functional.interpolate(maps.unsqueeze(1), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return up.squeeze(1).MoveToOuterDisposeScope();
    }
}
