using static TorchSharp.torch;

namespace GradCamAudit.Scoring.Metrics;

/// <summary>What a metric declares: its name, result column suffix (<c>{pred,true}_&lt;column&gt;</c>), value type, direction and source.</summary>
public sealed record MetricInfo(string Name, string Column, bool IsBoolean, bool HigherIsBetter, string Source);

/// <summary>
/// One localisation metric of a CAM against an object mask, batched on the device. <see cref="Evaluate"/> returns a
/// (B) float64 tensor, NaN where the metric is undefined for a sample (written as null, never as NaN); boolean metrics
/// return 0 or 1. Each subclass states its formula in its doc comment.
/// </summary>
public abstract class MaskMetric
{
    public abstract MetricInfo Info { get; }

    public abstract Tensor Evaluate(MetricContext context);

    /// <summary>The value where <paramref name="defined"/>, NaN elsewhere.</summary>
    protected static Tensor Where(Tensor defined, Tensor value) =>
        where(defined, value.to_type(ScalarType.Float64), full_like(value, double.NaN, dtype: ScalarType.Float64));
}

/// <summary>
/// The inputs of the metrics of one batch and the sums they share (computed once, on first use, in the caller's
/// dispose scope): <see cref="Cams"/> (B,H,W) non-negative maps at input resolution, <see cref="Masks"/> (B,H,W) of
/// 0/1, and <see cref="RawMaps"/> (B,h,w), the target-layer maps before upsampling. An optional validity weight
/// (B,H,W) of 0/1 marks void pixels (VOC's 255, ignored COCO crowd regions) with 0: every metric is then computed
/// over the valid pixels only (the map's mass, the image area, the top-q region, the peak, the ranks); the mask must
/// already be 0 there. Without it every expression is the unweighted one, so results stay bit-identical. What the
/// metrics derive from the masks alone (<c>near</c>, the pointing game's tolerance region; <c>maskBytes</c>, the masks
/// as bytes for the host kernels) may be made once per batch by the caller and shared by every map's context;
/// otherwise each context makes its own on first use.
/// </summary>
public sealed class MetricContext(Tensor cams, Tensor masks, Tensor rawMaps, MetricSettings settings, Tensor? valid = null, Tensor? near = null, Tensor? maskBytes = null)
{
    private Tensor? total;
    private Tensor? maskSum;
    private Tensor? inside;
    private Tensor? weighted;
    private Tensor? ranked;
    private Tensor? area;

    /// <summary>The maps, 0 on void pixels (so they carry no mass and hold no peak).</summary>
    public Tensor Cams => valid is null ? cams : weighted ??= cams * valid;

    /// <summary>The maps for rank-based metrics: void pixels at −1, below every valid (non-negative) value.</summary>
    public Tensor RankCams => valid is null ? cams : ranked ??= where(valid.gt(0), cams, full_like(cams, -1.0));

    public Tensor Masks => masks;

    /// <summary>The pixels within the pointing tolerance of the mask (B,H,W of 0/1).</summary>
    public Tensor Near => near ??= MaskMetrics.Near(masks, settings.PointingTolerancePx);

    /// <summary>The masks as contiguous bytes (B,H,W of 0/1), for the host kernels.</summary>
    public Tensor MaskBytes => maskBytes ??= masks.gt(0).to_type(ScalarType.Byte).contiguous();

    public Tensor RawMaps => rawMaps;

    public MetricSettings Settings => settings;

    /// <summary>The validity weight (B,H,W), or null when no pixel of the batch is void.</summary>
    public Tensor? Valid01 => valid;

    public long Pixels => cams.shape[1] * cams.shape[2];

    /// <summary>Valid pixels per sample (B), as float64.</summary>
    public Tensor Area => area ??= valid is null
        ? full(cams.shape[0], (double)Pixels, dtype: ScalarType.Float64, device: cams.device)
        : valid.sum([1, 2]).to_type(ScalarType.Float64);

    /// <summary>Void pixels per sample (B), as float64: 0 without a validity weight.</summary>
    public Tensor VoidPixels => Pixels - Area;

    /// <summary>Σ cam per sample (valid pixels).</summary>
    public Tensor Total => total ??= Cams.sum([1, 2]);

    /// <summary>Mask pixels per sample.</summary>
    public Tensor MaskSum => maskSum ??= masks.sum([1, 2]);

    /// <summary>Σ cam·mask per sample.</summary>
    public Tensor Inside => inside ??= (Cams * masks).sum([1, 2]);

    /// <summary>The mask's share of the valid pixels (the unweighted expression when there is no void).</summary>
    public Tensor Fraction => valid is null ? MaskSum / Pixels : MaskSum / Area.to_type(MaskSum.dtype).clamp_min(1);

    /// <summary>k = ceil(q · valid pixels) of the top-q metrics, per sample (B), as float64.</summary>
    public Tensor TopCount => valid is null
        ? full(cams.shape[0], (double)TopCountOf(Pixels), dtype: ScalarType.Float64, device: cams.device)
        : (Area * settings.TopFraction - 1e-9).ceil().clamp_min(1);

    /// <summary>k = ceil(q·n), at least 1.</summary>
    public long TopCountOf(long n) => Math.Max(1, (long)Math.Ceiling((settings.TopFraction * n) - 1e-9));

    /// <summary>A non-zero map and a non-empty mask: where most metrics are defined.</summary>
    public Tensor Valid => Total.gt(0).logical_and(MaskSum.gt(0));

    /// <summary>
    /// The expected overlap of the mask with the <paramref name="k"/> (B) highest pixels when ties at the k-th value are
    /// ordered at random: pixels above it count fully, tied ones in proportion to the room left. Deterministic, and
    /// fair to plateaus (a constant map scores the mask fraction). Void pixels rank below every valid one.
    /// </summary>
    public Tensor ExpectedTopOverlap(Tensor k)
    {
        Tensor flat = RankCams.flatten(1);
        Tensor maskFlat = masks.flatten(1);
        Tensor sorted = flat.sort(1, descending: true).Values;
        Tensor kth = sorted.gather(1, (k.to_type(ScalarType.Int64) - 1).clamp_min(0).unsqueeze(1));
        Tensor above = flat.gt(kth).to_type(ScalarType.Float64);
        Tensor tied = flat.eq(kth).to_type(ScalarType.Float64);
        Tensor room = k.to_type(ScalarType.Float64) - above.sum(1);
        Tensor tiedInMask = (tied * maskFlat).sum(1);
        return ((above * maskFlat).sum(1) + (room * tiedInMask / tied.sum(1).clamp_min(1))).to_type(ScalarType.Float64);
    }
}
