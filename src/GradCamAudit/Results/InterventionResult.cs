namespace GradCamAudit.Results;

/// <summary>
/// The intervention evidence of one results row: why it was intervened on (<see cref="Candidate"/>: misclassified or
/// off the object; <see cref="Control"/>: among its class's hash-chosen controls, whatever the model did) and what
/// the model predicts on the object alone and on the background alone (class index and its probability).
/// </summary>
public sealed record InterventionResult(string Role, int ObjectOnlyPred, float ObjectOnlyProb, int BackgroundOnlyPred, float BackgroundOnlyProb)
{
    public const string Candidate = "candidate";
    public const string Control = "control";
}
