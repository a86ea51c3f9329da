namespace GradCamAudit.Pipeline;

/// <summary>
/// One sample's scalars of an audit step, by name: the predicted class, its confidence, the true class's probability,
/// the mask's share of the image and whether the primary predicted-class map is all zero, then the metrics of each
/// (method, target) in the scorer's combination order (the primary method's predicted and true class first).
/// </summary>
internal readonly ref struct SampleScalars
{
    /// <summary>The scalars before the metric columns.</summary>
    public const int Leading = 5;

    private readonly ReadOnlySpan<double> row;
    private readonly int metricCount;

    public SampleScalars(ReadOnlySpan<double> all, int sample, int combos, int metricCount)
    {
        int stride = Stride(combos, metricCount);
        row = all.Slice(sample * stride, stride);
        this.metricCount = metricCount;
    }

    /// <summary>Scalars per sample for <paramref name="combos"/> (method, target) pairs of <paramref name="metricCount"/> metrics.</summary>
    public static int Stride(int combos, int metricCount) => Leading + (combos * metricCount);

    public int Predicted => (int)row[0];

    public double Confidence => row[1];

    public double TrueProbability => row[2];

    public double MaskFraction => row[3];

    public bool MaskEmpty => row[3] <= 0;

    public bool PrimaryMapAllZero => row[4] > 0;

    /// <summary>The metrics of combination <paramref name="combo"/> (0: the primary predicted-class map, 1: the true-class map).</summary>
    public ReadOnlySpan<double> Metrics(int combo) => row.Slice(Leading + (combo * metricCount), metricCount);
}
