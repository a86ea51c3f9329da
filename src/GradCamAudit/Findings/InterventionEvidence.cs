namespace GradCamAudit.Findings;

/// <summary>
/// What the object-only and background-only predictions say of a finding (<see cref="Finding.Evidence"/>; null when
/// the sample was not intervened on, or for a kind interventions do not test):
/// <list type="bullet">
/// <item>a shortcut is <see cref="Confirmed"/> when the background alone still gives the predicted class, or the object
/// alone gives the given (true) class: the prediction came from outside the object;</item>
/// <item>right for the wrong reason is <see cref="Confirmed"/> when the background alone still gives the class;</item>
/// <item>a label error is <see cref="Supported"/> when the object alone keeps the predicted class: the object itself
/// looks like the suggested label.</item>
/// </list>
/// </summary>
public static class InterventionEvidence
{
    public const string Confirmed = "confirmed";
    public const string NotConfirmed = "not_confirmed";
    public const string Supported = "supported";
    public const string NotSupported = "not_supported";

    public static string? Of(string? kind, FindingInput r)
    {
        if (!r.Intervened)
        {
            return null;
        }
        int objectOnly = r.ObjectOnlyPred!.Value, backgroundOnly = r.BackgroundOnlyPred!.Value;
        return kind switch
        {
            FindingKinds.Shortcut => backgroundOnly == r.PredLabel || objectOnly == r.GivenLabel ? Confirmed : NotConfirmed,
            FindingKinds.RightForWrongReason => backgroundOnly == r.PredLabel ? Confirmed : NotConfirmed,
            FindingKinds.LabelError => objectOnly == r.PredLabel ? Supported : NotSupported,
            _ => null,
        };
    }
}
