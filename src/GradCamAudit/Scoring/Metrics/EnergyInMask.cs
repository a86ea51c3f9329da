using static TorchSharp.torch;

namespace GradCamAudit.Scoring.Metrics;

/// <summary>
/// Energy-based pointing game (Wang et al. 2020, Score-CAM §4.3), also called relevance mass accuracy (Arras et al.
/// 2022): the share of the map's mass inside the mask, Σ cam·mask / Σ cam. Null for an empty mask or an all-zero map.
/// </summary>
public sealed class EnergyInMask : MaskMetric
{
    public override MetricInfo Info { get; } = new("energy-based pointing game", "energy_in_mask", false, true, "Wang et al. 2020; Arras et al. 2022 (relevance mass accuracy)");

    public override Tensor Evaluate(MetricContext c) => Where(c.Valid, c.Inside / c.Total.clamp_min(1e-30));
}

/// <summary>
/// Energy lift: energy_in_mask / mask_fraction, where mask_fraction = mask pixels / valid pixels (H·W without void). A uniform map scores 1.0;
/// above 1 means attention concentrated on the object. Scale-free, so comparable across masks of any size.
/// </summary>
public sealed class EnergyLift : MaskMetric
{
    public override MetricInfo Info { get; } = new("energy lift", "energy_lift", false, true, "this project: energy_in_mask normalised by the mask's share of the image");

    public override Tensor Evaluate(MetricContext c) =>
        Where(c.Valid, c.Inside / c.Total.clamp_min(1e-30) / c.Fraction.clamp_min(1e-30));
}
