using static TorchSharp.torch;

namespace GradCamAudit.Scoring.Metrics;

/// <summary>
/// Relevance rank accuracy (Arras et al. 2022, eq. 2): with K = the number of mask pixels, the share of the K
/// highest-relevance pixels that lie in the mask. Ties at the K-th value count in expectation (see
/// <see cref="MetricContext.ExpectedTopOverlap"/>). Null for an empty mask or an all-zero map. Sorts each map: opt-in.
/// </summary>
public sealed class RelevanceRankAccuracy : MaskMetric
{
    public override MetricInfo Info { get; } = new("relevance rank accuracy", "relevance_rank_accuracy", false, true, "Arras et al. 2022");

    public override Tensor Evaluate(MetricContext c)
    {
        Tensor k = c.MaskSum.clamp_min(1);
        return Where(c.Valid, c.ExpectedTopOverlap(k) / k);
    }
}

/// <summary>
/// Top-k intersection (Theiner et al. 2021): the share of the k = ceil(q·H·W) highest map pixels (q =
/// <c>iouTopFraction</c>) that lie in the mask; ties at the k-th value count in expectation. Null for an empty mask
/// or an all-zero map.
/// </summary>
public sealed class TopKIntersection : MaskMetric
{
    public override MetricInfo Info { get; } = new("top-k intersection", "topk_intersection", false, true, "Theiner et al. 2021");

    public override Tensor Evaluate(MetricContext c)
    {
        Tensor k = c.TopCount;
        return Where(c.Valid, c.ExpectedTopOverlap(k) / k);
    }
}

/// <summary>
/// AUC of the map as a pixel classifier of the mask (ROC AUC, Mann-Whitney U with mid-ranks for ties):
/// (Σ_{mask} rank − P(P+1)/2) / (P·N) for P mask and N other pixels. A constant (or all-zero) map scores 0.5; null for
/// an empty or a full mask (one class only).
/// </summary>
public sealed class RocAuc : MaskMetric
{
    public override MetricInfo Info { get; } = new("AUC", "auc", false, true, "ROC AUC of the map against the mask (e.g. Quantus' AUC)");

    public override Tensor Evaluate(MetricContext c)
    {
        Tensor flat = c.RankCams.flatten(1).contiguous();
        Tensor sorted = flat.sort(1).Values.contiguous();
        // Mid-rank (1-based) of every pixel: between the count of smaller values and the count of smaller-or-equal ones.
        Tensor below = searchsorted(sorted, flat, right: false).to_type(ScalarType.Float64);
        Tensor upTo = searchsorted(sorted, flat, right: true).to_type(ScalarType.Float64);
        Tensor midRank = (below + upTo + 1) / 2;
        Tensor p = c.MaskSum.to_type(ScalarType.Float64);
        if (c.Valid01 is null)
        {
            Tensor n = c.Pixels - p;
            Tensor u = (midRank * c.Masks.flatten(1)).sum(1) - (p * (p + 1) / 2);
            return Where(p.gt(0).logical_and(n.gt(0)), u / (p * n).clamp_min(1));
        }
        // Void pixels sit below every valid value, so each valid rank is raised by the void count: take it off.
        Tensor nValid = c.Area - p;
        Tensor uValid = (midRank * c.Masks.flatten(1)).sum(1) - (p * (p + 1) / 2) - (p * c.VoidPixels);
        return Where(p.gt(0).logical_and(nValid.gt(0)), uValid / (p * nValid).clamp_min(1));
    }
}
