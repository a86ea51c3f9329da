using System.Collections.Concurrent;
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
    /// Bilinear upsampling (align_corners = false, as PyTorch's default) of (B,h,w) maps to (B,H,W) as two small
    /// matrix products, R·map·Cᵀ: bilinear interpolation is separable, and R (H,h) and C (W,w) are 1-D interpolation
    /// matrices (see <see cref="Interpolation"/>). For a 7x7 map at 224x224 that is 7·224·(7 + 224) multiply-adds per
    /// map, a third of the time of the general interpolation kernel here.
    /// </summary>
    public static Tensor Upsample(Tensor maps, int height, int width)
    {
        using var scope = NewDisposeScope();
        Tensor rows = Interpolation(maps.shape[1], height, maps.device, maps.dtype);
        Tensor cols = Interpolation(maps.shape[2], width, maps.device, maps.dtype);
        return rows.matmul(maps.matmul(cols.t())).MoveToOuterDisposeScope();
    }

    private static readonly ConcurrentDictionary<(long Cells, int Size, string Device, ScalarType Type), Tensor> InterpolationWeights = new();

    /// <summary>
    /// The (size, cells) matrix of 1-D linear interpolation from <paramref name="cells"/> values to
    /// <paramref name="size"/> pixels, align_corners = false: PyTorch's own upsampling of the identity (each one-hot
    /// column resized along one axis, the other kept at 1 → 1 with weight exactly 1), so the weights are bit for bit
    /// those of <c>interpolate</c>. Cached per size, device and type (a few KB, kept for the process).
    /// </summary>
    public static Tensor Interpolation(long cells, int size, Device device, ScalarType type) =>
        InterpolationWeights.GetOrAdd((cells, size, device.ToString(), type), _ =>
        {
            using var scope = NewDisposeScope();
            Tensor oneHot = eye(cells, dtype: type, device: device).view(cells, 1, cells, 1);
            Tensor up = nn.functional.interpolate(oneHot, size: [size, 1], mode: InterpolationMode.Bilinear, align_corners: false);
            return up.view(cells, size).t().contiguous().DetachFromDisposeScope();
        });
}
