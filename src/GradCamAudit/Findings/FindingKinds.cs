namespace GradCamAudit.Findings;

/// <summary>
/// The exclusive finding of one result row, and the reasons a row has none. Exactly one kind per row when the
/// evidence is there: <see cref="LabelError"/>, <see cref="Shortcut"/>, <see cref="RightForWrongReason"/>,
/// <see cref="Hard"/> or <see cref="Ok"/>; otherwise the finding is null and the reason says why.
/// </summary>
public static class FindingKinds
{
    /// <summary>Misclassified, the map on the object, the prediction confident by its class's threshold and the given label's probability an outlier below its class's.</summary>
    public const string LabelError = "label_error";

    /// <summary>Misclassified with the predicted-class map off the object.</summary>
    public const string Shortcut = "shortcut";

    /// <summary>Correct with the predicted-class map off the object (the Clever Hans case).</summary>
    public const string RightForWrongReason = "right_for_wrong_reason";

    /// <summary>Misclassified, the map on the object, and not a label error by the rule.</summary>
    public const string Hard = "hard";

    /// <summary>Correct with the map on the object.</summary>
    public const string Ok = "ok";

    /// <summary>Every kind, in the order the report shows them.</summary>
    public static IReadOnlyList<string> All { get; } = [LabelError, Shortcut, RightForWrongReason, Hard, Ok];

    /// <summary>No verdict: the sample's mask is empty, so there is no object to be on or off.</summary>
    public const string NoMask = "no_mask";

    /// <summary>No verdict: the target layer's map is coarser than <c>findings.minMapSize</c> (and coarse maps were not accepted).</summary>
    public const string MapTooCoarse = "map_too_coarse";

    /// <summary>No verdict: the row carries no probability (a results file written by another tool without them).</summary>
    public const string NoProbability = "no_probability";
}
