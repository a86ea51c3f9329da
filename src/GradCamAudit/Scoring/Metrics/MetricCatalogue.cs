namespace GradCamAudit.Scoring.Metrics;

/// <summary>
/// Every metric, in column order. The result columns (<c>{pred,true}_&lt;column&gt;</c>), the Parquet schema, the
/// explanations table and the config's <c>explain.metrics</c> all come from this list: a new metric is one class here
/// and its test.
/// </summary>
public static class MetricCatalogue
{
    public static IReadOnlyList<MaskMetric> All { get; } =
    [
        new EnergyInMask(), new EnergyLift(), new PointingGame(), new IouTop(),
        new RelevanceRankAccuracy(), new TopKIntersection(), new RocAuc(), new WslIou(),
    ];

    /// <summary>The default selection: the metrics that need no sort (the sort-based ones are opt-in).</summary>
    public static IReadOnlyList<string> Defaults { get; } = ["energy_in_mask", "energy_lift", "pointing_hit", "iou_top"];

    /// <summary>Always computed, whatever the selection: off_object is decided on the predicted-class energy lift.</summary>
    public static IReadOnlyList<string> Required { get; } = ["energy_in_mask", "energy_lift"];

    public static IReadOnlyList<string> Columns { get; } = All.Select(m => m.Info.Column).ToArray();

    /// <summary>The selected metrics in catalogue order (required ones added).</summary>
    public static IReadOnlyList<MaskMetric> Select(IEnumerable<string> columns)
    {
        var wanted = new HashSet<string>(columns.Concat(Required), StringComparer.Ordinal);
        return All.Where(m => wanted.Contains(m.Info.Column)).ToArray();
    }
}
