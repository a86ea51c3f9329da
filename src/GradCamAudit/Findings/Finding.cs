namespace GradCamAudit.Findings;

/// <summary>
/// The finding of one result row (the <c>findings.parquet</c> row, joined to the results by <c>sample_id</c>):
/// the kind (null when the evidence is not there, with <see cref="Reason"/>), the score that ranks the kind
/// (higher first), the class statistics it was decided with, so a reader can check it by hand, and the intervention
/// evidence where the sample was intervened on (<see cref="InterventionEvidence"/>).
/// </summary>
public sealed record Finding(
    string SampleId,
    long Row,
    string? Kind,
    string? Reason,
    double? Score,
    double? GivenThreshold,
    double? GivenOutlierCut,
    double? PredThreshold,
    string? Evidence = null);
