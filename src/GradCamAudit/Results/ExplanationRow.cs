using Parquet.Schema;

namespace GradCamAudit.Results;

/// <summary>
/// One row of <c>explanations/part-NNNNN.parquet</c>: a sample's map for one (method, target), with the enabled
/// metrics (in catalogue order). <see cref="Cam"/> is empty where <c>output.maps</c> does not keep it. On the sampled
/// checks' rows: <see cref="DeletionAuc"/> and <see cref="InsertionAuc"/> (faithfulness of a method's predicted-class
/// map) and <see cref="SanitySpearman"/> (a sanity-check row, target <c>randomised:&lt;step&gt;:&lt;module&gt;</c>: the
/// map's rank correlation with the trained model's); null elsewhere.
/// </summary>
public sealed record ExplanationRow(string SampleId, long Row, string Method, string Target, int Class, string ClassName, int CamHeight, int CamWidth, float[] Cam, IReadOnlyList<object?> Metrics,
    double? DeletionAuc = null, double? InsertionAuc = null, double? SanitySpearman = null);

/// <summary>The explanations table: sample_id, row, method, target, class, class_name, cam_height, cam_width, cam, the metric columns, then deletion_auc, insertion_auc, sanity_spearman.</summary>
public static class ExplanationsSchema
{
    public static ParquetSchema Build(IReadOnlyList<string> metricColumns)
    {
        var fields = new List<Field>
        {
            new DataField<string>("sample_id"), new DataField<long>("row"), new DataField<string>("method"), new DataField<string>("target"),
            new DataField<int>("class"), new DataField<string>("class_name"), new DataField<int>("cam_height"), new DataField<int>("cam_width"),
            new ListField("cam", new DataField<float>("element")),
        };
        foreach (string m in metricColumns)
        {
            bool boolean = Scoring.Metrics.MetricCatalogue.All.First(x => x.Info.Column == m).Info.IsBoolean;
            fields.Add(boolean ? new DataField<bool?>(m) : new DataField<double?>(m));
        }
        fields.Add(new DataField<double?>("deletion_auc"));
        fields.Add(new DataField<double?>("insertion_auc"));
        fields.Add(new DataField<double?>("sanity_spearman"));
        return new ParquetSchema(fields);
    }

    public static IDictionary<string, object?> ToDictionary(ExplanationRow e, IReadOnlyList<string> metricColumns)
    {
        var d = new Dictionary<string, object?>(16, StringComparer.Ordinal)
        {
            ["sample_id"] = e.SampleId,
            ["row"] = e.Row,
            ["method"] = e.Method,
            ["target"] = e.Target,
            ["class"] = e.Class,
            ["class_name"] = e.ClassName,
            ["cam_height"] = e.CamHeight,
            ["cam_width"] = e.CamWidth,
            ["cam"] = e.Cam,
        };
        for (int i = 0; i < metricColumns.Count; i++)
        {
            d[metricColumns[i]] = e.Metrics[i];
        }
        d["deletion_auc"] = e.DeletionAuc;
        d["insertion_auc"] = e.InsertionAuc;
        d["sanity_spearman"] = e.SanitySpearman;
        return d;
    }
}
