using GradCamAudit.Results;
using Microsoft.Data.Analysis;

namespace GradCamAudit.Reporting;

/// <summary>Per-class aggregates computed with Microsoft.Data.Analysis over the scalar results (nulls ignored).</summary>
public static class ClassTable
{
    /// <summary>The numeric per-class figures; null where a class has no defined value.</summary>
    public sealed record Stats(int Label, long Count, double? Accuracy, double? MeanPredLift, double? MedianPredLift, double? MeanTrueLift,
        double? MeanTrueEnergy, double? OffObjectRate, long Flagged, long RightForWrongReason);

    public static DataFrame ToFrame(IReadOnlyList<ReportRow> rows)
    {
        static double? B(bool? b) => b.HasValue ? (b.Value ? 1.0 : 0.0) : null;
        return new DataFrame(
            new Int32DataFrameColumn("true_label", rows.Select(r => r.TrueLabel)),
            new DoubleDataFrameColumn("correct", rows.Select(r => (double?)(r.Correct ? 1.0 : 0.0))),
            new DoubleDataFrameColumn("pred_energy_lift", rows.Select(r => r.PredEnergyLift)),
            new DoubleDataFrameColumn("true_energy_lift", rows.Select(r => r.TrueEnergyLift)),
            new DoubleDataFrameColumn("true_energy_in_mask", rows.Select(r => r.TrueEnergyInMask)),
            new DoubleDataFrameColumn("off_object", rows.Select(r => B(r.OffObject))),
            new DoubleDataFrameColumn("flagged", rows.Select(r => B(r.Flagged))),
            new DoubleDataFrameColumn("right_for_wrong_reason", rows.Select(r => B(r.RightForWrongReason))));
    }

    public static IReadOnlyList<Stats> Compute(IReadOnlyList<ReportRow> rows, int classCount)
    {
        DataFrame df = ToFrame(rows);
        var result = new List<Stats>(classCount);
        for (int k = 0; k < classCount; k++)
        {
            DataFrame sub = df.Filter(df["true_label"].ElementwiseEquals(k));
            result.Add(new Stats(
                k, sub.Rows.Count, Mean(sub["correct"]), Mean(sub["pred_energy_lift"]), Median(sub["pred_energy_lift"]),
                Mean(sub["true_energy_lift"]), Mean(sub["true_energy_in_mask"]), Mean(sub["off_object"]),
                Sum(sub["flagged"]), Sum(sub["right_for_wrong_reason"])));
        }
        return result;
    }

    private static double? Mean(DataFrameColumn column)
    {
        DataFrameColumn values = column.DropNulls();
        return values.Length == 0 ? null : Convert.ToDouble(values.Mean(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double? Median(DataFrameColumn column)
    {
        DataFrameColumn values = column.DropNulls();
        return values.Length == 0 ? null : Convert.ToDouble(values.Median(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long Sum(DataFrameColumn column)
    {
        DataFrameColumn values = column.DropNulls();
        return values.Length == 0 ? 0 : (long)Math.Round(Convert.ToDouble(values.Sum(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
