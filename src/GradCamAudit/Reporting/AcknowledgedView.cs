using System.Globalization;
using GradCamAudit.Options;
using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>The report's view of gates.acknowledged: this run's acknowledged findings, and how many acknowledged samples are no longer findings.</summary>
public static class AcknowledgedView
{
    public static string Describe(Acknowledgement a, DateOnly day)
    {
        string until = a.ReviewBy is DateOnly d ? " (review by " + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ")" : "";
        return a.HoldsOn(day) ? $"acknowledged: {a.Note}{until}" : $"acknowledged, review date passed (counts again): {a.Note}{until}";
    }

    public static (IReadOnlyList<AcknowledgedRow> Rows, long NoLongerFindings) Build(Acknowledgements list, IReadOnlyList<ReportRow> findings, DateOnly day)
    {
        var rows = findings.Select(r =>
        {
            Acknowledgement a = list.Find(r.SampleId)!;
            string finding = r.Flagged == true ? "flagged" : r.RightForWrongReason == true ? "right for the wrong reason" : r.PossibleLabelError == true ? "possible label error" : "off-object";
            bool holds = a.HoldsOn(day);
            return new AcknowledgedRow(r.SampleId, finding, r.TrueName, r.PredName,
                r.PredEnergyLift?.ToString("F2", CultureInfo.InvariantCulture) ?? "-", a.Note,
                a.ReviewBy?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-", holds ? "acknowledged: not counted" : "review date passed: counted", holds);
        }).OrderBy(r => r.Holds).ThenBy(r => r.SampleId, StringComparer.Ordinal).ToList();
        return (rows, list.Count - rows.Count);
    }
}
