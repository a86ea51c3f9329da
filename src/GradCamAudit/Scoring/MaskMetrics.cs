using static TorchSharp.torch;

namespace GradCamAudit.Scoring;

/// <summary>Parameters of the overlap metrics.</summary>
/// <param name="PointingTolerancePx">Euclidean tolerance, in input pixels, of the pointing game.</param>
/// <param name="TopFraction">q of <c>iou_top</c>: the ceil(q·H·W) highest map pixels are compared with the mask.</param>
public sealed record MetricSettings(double PointingTolerancePx, double TopFraction);

/// <summary>Per-sample metrics of one batch, each (B,) on the device; <see cref="Valid"/> is false where they are undefined.</summary>
public sealed record MetricTensors(Tensor EnergyInMask, Tensor EnergyLift, Tensor PointingHit, Tensor IouTop, Tensor Valid, Tensor CamIsZero);

/// <summary>
/// Overlap of a CAM with an object mask, batched on the device. Maps are the ReLU'd maps upsampled to the
/// input (B,H,W, non-negative, not min-max normalised: the scores are scale-free). Masks are (B,H,W) of 0/1.
/// Undefined cases: an empty mask or an all-zero map makes every metric of that sample undefined (Valid=false,
/// written as null); an all-zero map also counts as off-object.
/// </summary>
public static class MaskMetrics
{
    /// <summary>
    /// energy_in_mask = Σ cam·mask / Σ cam: the energy-based pointing game (Wang et al. 2020, Score-CAM §4.3).
    /// energy_lift = energy_in_mask / mask_fraction: 1.0 is what a uniform map scores.
    /// pointing_hit: a maximal map pixel lies within the tolerance (Euclidean, pixels) of the mask (Zhang et al. 2016).
    /// iou_top: IoU of the mask with the ceil(q·H·W) highest map pixels (ties broken by topk's order).
    /// </summary>
    public static MetricTensors Score(Tensor cams, Tensor masks, MetricSettings settings)
    {
        using var scope = NewDisposeScope();
        long h = cams.shape[1], w = cams.shape[2];
        Tensor total = cams.sum([1, 2]);
        Tensor maskSum = masks.sum([1, 2]);
        Tensor maskFraction = maskSum / (h * w);
        Tensor inside = (cams * masks).sum([1, 2]);
        Tensor camIsZero = total.le(0);
        Tensor valid = camIsZero.logical_not().logical_and(maskSum.gt(0));
        Tensor energy = inside / total.clamp_min(1e-30);
        Tensor lift = energy / maskFraction.clamp_min(1e-30);

        Tensor peak = cams.amax([1, 2], keepdim: true);
        Tensor isMax = cams.ge(peak).logical_and(peak.gt(0));
        Tensor near = Dilate(masks, settings.PointingTolerancePx);
        Tensor hit = isMax.logical_and(near).flatten(1).any(1);

        long k = Math.Max(1, (long)Math.Ceiling(settings.TopFraction * h * w - 1e-9));
        Tensor flat = cams.flatten(1);
        Tensor index = flat.topk((int)k, dim: 1).indexes;
        Tensor top = zeros_like(flat).scatter_(1, index, ones_like(index, dtype: flat.dtype));
        Tensor maskFlat = masks.flatten(1);
        Tensor intersection = (top * maskFlat).sum(1);
        Tensor union = top.sum(1) + maskFlat.sum(1) - intersection;
        Tensor iou = intersection / union.clamp_min(1e-30);

        return new MetricTensors(
            energy.MoveToOuterDisposeScope(), lift.MoveToOuterDisposeScope(), hit.MoveToOuterDisposeScope(),
            iou.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope(), camIsZero.MoveToOuterDisposeScope());
    }

    /// <summary>The set of pixels within Euclidean distance r of the mask (a disk-shaped dilation), as a bool (B,H,W).</summary>
    public static Tensor Dilate(Tensor masks, double radius)
    {
        using var scope = NewDisposeScope();
        int r = (int)Math.Floor(radius);
        if (r <= 0)
        {
            return masks.gt(0).MoveToOuterDisposeScope();
        }
        int size = 2 * r + 1;
        var disk = new float[size * size];
        for (int dy = -r; dy <= r; dy++)
        {
            for (int dx = -r; dx <= r; dx++)
            {
                disk[((dy + r) * size) + dx + r] = dx * dx + dy * dy <= radius * radius ? 1f : 0f;
            }
        }
        Tensor kernel = tensor(disk, [1, 1, size, size], dtype: masks.dtype, device: masks.device);
        Tensor reached = nn.functional.conv2d(masks.unsqueeze(1), kernel, padding: [r, r]).squeeze(1);
        return reached.gt(0.5).MoveToOuterDisposeScope();
    }
}
