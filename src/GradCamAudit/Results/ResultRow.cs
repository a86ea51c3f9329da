namespace GradCamAudit.Results;

/// <summary>
/// One audited sample: the row of the results table (the Parquet contract in the README). <see cref="PredMetrics"/>
/// and <see cref="TrueMetrics"/> hold the enabled metrics of the primary method's predicted- and true-class maps, in
/// <see cref="Scoring.Metrics.MetricCatalogue"/> order: double? or bool?, null where undefined. <see cref="Mask"/> says where
/// the mask came from (a path relative to its root, <c>coco:&lt;id&gt;,...</c> or <c>voc:&lt;path&gt;#&lt;index&gt;</c>);
/// <see cref="MaskSource"/> what kind of region it is (<see cref="Data.Masks.MaskSources"/>: file, box, coco, voc, none);
/// <see cref="Intervention"/> the object-only / background-only predictions where the sample was intervened on.
/// </summary>
public sealed record ResultRow(
    string SampleId,
    long Row,
    string Image,
    int TrueLabel,
    string TrueName,
    int PredLabel,
    string PredName,
    float Confidence,
    float TrueProb,
    double MaskFraction,
    IReadOnlyList<object?> PredMetrics,
    IReadOnlyList<object?> TrueMetrics,
    bool? OffObject,
    bool? Flagged,
    bool? RightForWrongReason,
    int CamHeight,
    int CamWidth,
    float[] PredCam,
    float[] TrueCam,
    bool? PossibleLabelError,
    string ImageSha256,
    IReadOnlyList<string?> Extra,
    string? Mask = null,
    InterventionResult? Intervention = null,
    string? MaskSource = null)
{
    public bool Correct => TrueLabel == PredLabel;
}
