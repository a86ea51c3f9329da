using static TorchSharp.torch;

namespace GradCamAudit.Scoring.Metrics;

/// <summary>
/// Pointing game with tolerance (Zhang et al. 2016): hit when some maximal map pixel lies within
/// <c>pointingTolerancePx</c> (Euclidean) of a mask pixel. Null for an empty mask or an all-zero map (never a hit by
/// default, unlike implementations that write NaN into a boolean).
/// </summary>
public sealed class PointingGame : MaskMetric
{
    public override MetricInfo Info { get; } = new("pointing game", "pointing_hit", true, true, "Zhang et al. 2016");

    public override Tensor Evaluate(MetricContext c) => Where(c.Valid, MaskMetrics.PointingHit(c.Cams, c.Near));
}

/// <summary>
/// IoU of the mask with the top region: the k = ceil(q·H·W) highest map pixels (q = <c>iouTopFraction</c>), ties at
/// the k-th value taken in row-major order, so results are deterministic. With void pixels, k = ceil(q · valid pixels)
/// and the region is chosen among the valid pixels. Null for an empty mask or an all-zero map.
/// </summary>
public sealed class IouTop : MaskMetric
{
    public override MetricInfo Info { get; } = new("IoU of the top-q region", "iou_top", false, true, "top-q binarisation as in the Grad-CAM localisation literature");

    public override Tensor Evaluate(MetricContext c)
    {
        // The region holds exactly k pixels, so only its overlap with the mask needs counting.
        Tensor intersection = c.Valid01 is null
            ? MaskMetrics.TopOverlap(c.Cams, c.MaskBytes, c.TopCountOf(c.Pixels))
            : MaskMetrics.TopOverlap(c.RankCams, c.Masks, c.TopCount);
        return Where(c.Valid, intersection / (c.TopCount + c.MaskSum.to_type(ScalarType.Float64) - intersection).clamp_min(1e-30));
    }
}
