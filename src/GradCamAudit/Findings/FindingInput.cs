namespace GradCamAudit.Findings;

/// <summary>
/// The per-sample scalars a finding is decided from, as committed in the results: labels, the probabilities of the
/// predicted and the given class, the primary method's predicted-class energy lift, <c>off_object</c> (null for an
/// empty mask), the map size, and what the model predicted on the object alone (with that class's probability) and on
/// the background alone.
/// </summary>
public readonly record struct FindingInput(
    string SampleId,
    long Row,
    int GivenLabel,
    int PredLabel,
    float? Confidence,
    float? GivenProb,
    double? PredLift,
    bool? OffObject,
    int CamHeight,
    int CamWidth,
    int? ObjectOnlyPred = null,
    int? BackgroundOnlyPred = null,
    float? ObjectOnlyProb = null)
{
    /// <summary>True when the audit intervened on the row (object only and background only).</summary>
    public bool Intervened => ObjectOnlyPred.HasValue && BackgroundOnlyPred.HasValue;

    public bool Correct => GivenLabel == PredLabel;

    /// <summary>The shorter side of the map, the size that decides whether it is fine enough to judge.</summary>
    public int MapSide => Math.Min(CamHeight, CamWidth);

    /// <summary>True when both probabilities are finite.</summary>
    public bool HasProbabilities => Confidence is float c && float.IsFinite(c) && GivenProb is float p && float.IsFinite(p);

    /// <summary>True when the map is judged on the object (a known mask and a lift at or above the threshold).</summary>
    public bool OnObject => OffObject == false;
}
