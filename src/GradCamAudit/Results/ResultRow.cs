namespace GradCamAudit.Results;

/// <summary>Metrics of one map (predicted or true class) against the mask; null where undefined.</summary>
public sealed record MapScores(double? EnergyInMask, double? EnergyLift, bool? PointingHit, double? IouTop);

/// <summary>One audited sample: the row of the results table (the Parquet contract in the README).</summary>
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
    MapScores Pred,
    MapScores True,
    bool? OffObject,
    bool? Flagged,
    bool? RightForWrongReason,
    int CamHeight,
    int CamWidth,
    float[] PredCam,
    float[] TrueCam,
    IReadOnlyList<string?> Extra)
{
    public bool Correct => TrueLabel == PredLabel;
}
