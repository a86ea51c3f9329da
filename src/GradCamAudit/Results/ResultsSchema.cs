using Parquet.Schema;

namespace GradCamAudit.Results;

/// <summary>The Parquet schema of the results table: fixed columns, then the manifest's passed-through columns.</summary>
public static class ResultsSchema
{
    public const string RunIdKey = "gradcam_audit.run_id";
    public const string ConfigHashKey = "gradcam_audit.config_sha256";

    /// <summary>The column names in order for the given metric columns (see <see cref="Scoring.Metrics.MetricCatalogue"/>).</summary>
    public static IReadOnlyList<string> Columns(IReadOnlyList<string> metricColumns) =>
    [
        "sample_id", "row", "image", "true_label", "true_name", "pred_label", "pred_name", "confidence", "true_prob", "correct", "mask_fraction",
        .. metricColumns.Select(m => "pred_" + m), .. metricColumns.Select(m => "true_" + m),
        "off_object", "flagged", "right_for_wrong_reason", "cam_height", "cam_width", "pred_cam", "true_cam", "possible_label_error", "image_sha256", "mask", "mask_source",
        .. InterventionColumns,
    ];

    /// <summary>The intervention columns (null where the row was not intervened on), after <c>mask</c> and <c>mask_source</c>.</summary>
    public static IReadOnlyList<string> InterventionColumns { get; } =
        ["intervention", "object_only_pred", "object_only_prob", "background_only_pred", "background_only_prob"];

    /// <summary>The contract's columns with the default metrics.</summary>
    public static IReadOnlyList<string> FixedColumns { get; } = Columns(Scoring.Metrics.MetricCatalogue.Defaults);

    /// <summary>Prefixes of the project's own columns (present and future): pass-through columns may not use them.</summary>
    public static IReadOnlyList<string> ReservedPrefixes { get; } = ["pred_", "true_", "image_", "mask_"];

    /// <summary>Every column the contract can write, whatever the metric selection.</summary>
    private static readonly HashSet<string> AllContractColumns = new(Columns(Scoring.Metrics.MetricCatalogue.Columns).Append("id"), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// True when a pass-through column name would collide with a column of the results contract, compared without
    /// case: Spark, Hive and pandas' case-insensitive readers refuse files whose columns differ only by case
    /// (<c>Confidence</c> next to <c>confidence</c>).
    /// </summary>
    public static bool IsReserved(string column) =>
        AllContractColumns.Contains(column)
        || ReservedPrefixes.Any(p => column.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    public static ParquetSchema Build(IReadOnlyList<string> extraColumns, IReadOnlyList<string> metricColumns)
    {
        var fields = new List<Field>
        {
            new DataField<string>("sample_id"), new DataField<long>("row"), new DataField<string>("image"),
            new DataField<int>("true_label"), new DataField<string>("true_name"),
            new DataField<int>("pred_label"), new DataField<string>("pred_name"),
            new DataField<float?>("confidence"), new DataField<float?>("true_prob"), new DataField<bool>("correct"),
            new DataField<double?>("mask_fraction"),
        };
        foreach (string prefix in new[] { "pred", "true" })
        {
            foreach (string m in metricColumns)
            {
                fields.Add(IsBoolean(m) ? new DataField<bool?>($"{prefix}_{m}") : new DataField<double?>($"{prefix}_{m}"));
            }
        }
        fields.Add(new DataField<bool?>("off_object"));
        fields.Add(new DataField<bool?>("flagged"));
        fields.Add(new DataField<bool?>("right_for_wrong_reason"));
        fields.Add(new DataField<int>("cam_height"));
        fields.Add(new DataField<int>("cam_width"));
        fields.Add(new ListField("pred_cam", new DataField<float>("element")));
        fields.Add(new ListField("true_cam", new DataField<float>("element")));
        fields.Add(new DataField<bool?>("possible_label_error"));
        fields.Add(new DataField<string>("image_sha256"));
        fields.Add(new DataField<string>("mask"));
        fields.Add(new DataField<string>("mask_source", true)); // file, box, coco, voc, none (results written before it lack the column: read as null)
        fields.Add(new DataField<string>("intervention", true));
        fields.Add(new DataField<int?>("object_only_pred"));
        fields.Add(new DataField<float?>("object_only_prob"));
        fields.Add(new DataField<int?>("background_only_pred"));
        fields.Add(new DataField<float?>("background_only_prob"));
        foreach (string extra in extraColumns)
        {
            fields.Add(new DataField<string>(extra, true));
        }
        return new ParquetSchema(fields);
    }

    private static bool IsBoolean(string metricColumn) =>
        Scoring.Metrics.MetricCatalogue.All.First(m => m.Info.Column == metricColumn).Info.IsBoolean;

    public static IDictionary<string, object?> ToDictionary(ResultRow r, IReadOnlyList<string> extraColumns, IReadOnlyList<string> metricColumns)
    {
        var d = new Dictionary<string, object?>(32 + extraColumns.Count, StringComparer.Ordinal)
        {
            ["sample_id"] = r.SampleId,
            ["row"] = r.Row,
            ["image"] = r.Image,
            ["true_label"] = r.TrueLabel,
            ["true_name"] = r.TrueName,
            ["pred_label"] = r.PredLabel,
            ["pred_name"] = r.PredName,
            ["confidence"] = r.Confidence,
            ["true_prob"] = r.TrueProb,
            ["correct"] = r.Correct,
            ["mask_fraction"] = r.MaskFraction,
        };
        for (int i = 0; i < metricColumns.Count; i++)
        {
            d["pred_" + metricColumns[i]] = r.PredMetrics[i];
            d["true_" + metricColumns[i]] = r.TrueMetrics[i];
        }
        d["off_object"] = r.OffObject;
        d["flagged"] = r.Flagged;
        d["right_for_wrong_reason"] = r.RightForWrongReason;
        d["cam_height"] = r.CamHeight;
        d["cam_width"] = r.CamWidth;
        d["pred_cam"] = r.PredCam;
        d["true_cam"] = r.TrueCam;
        d["possible_label_error"] = r.PossibleLabelError;
        d["image_sha256"] = r.ImageSha256;
        d["mask"] = r.Mask ?? "";
        d["mask_source"] = r.MaskSource;
        d["intervention"] = r.Intervention?.Role;
        d["object_only_pred"] = r.Intervention?.ObjectOnlyPred;
        d["object_only_prob"] = r.Intervention?.ObjectOnlyProb;
        d["background_only_pred"] = r.Intervention?.BackgroundOnlyPred;
        d["background_only_prob"] = r.Intervention?.BackgroundOnlyProb;
        for (int i = 0; i < extraColumns.Count; i++)
        {
            d[extraColumns[i]] = i < r.Extra.Count ? r.Extra[i] : null;
        }
        return d;
    }
}
