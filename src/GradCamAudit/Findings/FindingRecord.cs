using System.Text.Json.Serialization;

namespace GradCamAudit.Findings;

/// <summary>One row of <c>findings.parquet</c> (the columns of <see cref="Finding"/>, in snake case).</summary>
public sealed class FindingRecord
{
    [JsonPropertyName("sample_id")] public string SampleId { get; set; } = "";

    [JsonPropertyName("row")] public long Row { get; set; }

    [JsonPropertyName("finding")] public string? Kind { get; set; }

    [JsonPropertyName("finding_reason")] public string? Reason { get; set; }

    [JsonPropertyName("finding_score")] public double? Score { get; set; }

    [JsonPropertyName("given_class_threshold")] public double? GivenThreshold { get; set; }

    [JsonPropertyName("given_outlier_cut")] public double? GivenOutlierCut { get; set; }

    [JsonPropertyName("pred_class_threshold")] public double? PredThreshold { get; set; }

    [JsonPropertyName("intervention_evidence")] public string? Evidence { get; set; }

    public static FindingRecord Of(Finding f) => new()
    {
        SampleId = f.SampleId,
        Row = f.Row,
        Kind = f.Kind,
        Reason = f.Reason,
        Score = f.Score,
        GivenThreshold = f.GivenThreshold,
        GivenOutlierCut = f.GivenOutlierCut,
        PredThreshold = f.PredThreshold,
        Evidence = f.Evidence,
    };

    public Finding ToFinding() => new(SampleId, Row, Kind, Reason, Score, GivenThreshold, GivenOutlierCut, PredThreshold, Evidence);
}
