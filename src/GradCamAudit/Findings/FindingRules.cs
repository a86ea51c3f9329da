namespace GradCamAudit.Findings;

/// <summary>
/// Decides one row's finding from its own scalars and the run's <see cref="ClassThresholds"/>: a pure function, so the
/// same rows give the same findings whoever wrote them (single run, resumed run, merged shards).
/// <list type="number">
/// <item>No mask: null, <see cref="FindingKinds.NoMask"/>. A map whose shorter side is below
/// <see cref="FindingsSettings.MinMapSize"/> (unless accepted): null, <see cref="FindingKinds.MapTooCoarse"/>.</item>
/// <item>Correct: <see cref="FindingKinds.Ok"/> on the object, <see cref="FindingKinds.RightForWrongReason"/> off it.</item>
/// <item>Misclassified off the object: <see cref="FindingKinds.Shortcut"/>.</item>
/// <item>Misclassified on the object, but intervened on with the background alone giving the prediction and the object
/// alone the given label: <see cref="FindingKinds.Shortcut"/> (reason <see cref="InterventionContradictsMap"/>).</item>
/// <item>Misclassified on the object, but intervened on with the object alone giving the given label j confidently by
/// j's own threshold (p &gt;= t_j): <see cref="FindingKinds.Shortcut"/> (reason <see cref="InterventionObjectGivesLabel"/>).
/// The object says the label is right, so what drives the prediction lies outside it.</item>
/// <item>Misclassified on the object: <see cref="FindingKinds.LabelError"/> when the predicted class k is confident by
/// its own class's threshold (p_k &gt;= t_k) and the given label j's probability lies below both t_j and j's outlier
/// cut; else <see cref="FindingKinds.Hard"/>.</item>
/// </list>
/// Scores (higher ranks first): label errors and hard cases by cleanlab's normalised margin p_pred - p_given;
/// shortcuts and right-for-the-wrong-reason by how far the lift is below the threshold, 1 - lift / threshold in
/// [0, 1] (1 for an all-zero map); ok by the confidence.
/// </summary>
public static class FindingRules
{
    public const string CorrectOnObject = "correct_on_object";
    public const string CorrectOffObject = "correct_off_object";
    public const string MisclassifiedOffObject = "misclassified_off_object";
    public const string ConfidentPredictionOutlyingLabel = "confident_prediction_outlying_label";
    public const string PredictionBelowThreshold = "prediction_below_class_threshold";
    public const string GivenLabelNotOutlying = "given_label_not_outlying";
    public const string NoClassStatistics = "no_class_statistics";
    public const string InterventionContradictsMap = "intervention_background_gives_prediction";
    public const string InterventionObjectGivesLabel = "intervention_object_gives_given_label";

    public static Finding Decide(FindingInput r, ClassThresholds stats, FindingsSettings settings)
    {
        double? tGiven = stats.Threshold(r.GivenLabel), cutGiven = stats.OutlierCut(r.GivenLabel), tPred = stats.Threshold(r.PredLabel);
        Finding Make(string? kind, string reason, double? score) => new(r.SampleId, r.Row, kind, reason, score, tGiven, cutGiven, tPred, InterventionEvidence.Of(kind, r));
        if (r.OffObject is not bool off)
        {
            return Make(null, FindingKinds.NoMask, null);
        }
        if (r.MapSide < settings.MinMapSize && !settings.AcceptCoarseMaps)
        {
            return Make(null, FindingKinds.MapTooCoarse, null);
        }
        double offScore = r.PredLift is double lift && double.IsFinite(lift) ? Math.Clamp(1 - (lift / settings.OffObjectLiftThreshold), 0, 1) : 1;
        if (r.Correct)
        {
            return off ? Make(FindingKinds.RightForWrongReason, CorrectOffObject, offScore) : Make(FindingKinds.Ok, CorrectOnObject, r.Confidence);
        }
        if (off)
        {
            return Make(FindingKinds.Shortcut, MisclassifiedOffObject, offScore);
        }
        if (r.Intervened && r.BackgroundOnlyPred == r.PredLabel && r.ObjectOnlyPred == r.GivenLabel)
        {
            // The map says "on the object", the intervention says otherwise: the background alone gives the prediction
            // and the object alone the given label. Attributions miss spurious signals (Adebayo et al. 2022); the
            // intervention measures it directly, so this is a shortcut, not a label error or a hard case.
            return Make(FindingKinds.Shortcut, InterventionContradictsMap, offScore);
        }
        if (!r.HasProbabilities)
        {
            return Make(null, FindingKinds.NoProbability, null);
        }
        double pPred = r.Confidence!.Value, pGiven = r.GivenProb!.Value;
        double margin = pPred - pGiven;
        if (tPred is not double tk || tGiven is not double tj || cutGiven is not double cut)
        {
            return Make(FindingKinds.Hard, NoClassStatistics, margin);
        }
        if (r.Intervened && r.ObjectOnlyPred == r.GivenLabel && r.ObjectOnlyProb is float pObject && pObject >= tj)
        {
            // The map lies on the object, but the object alone is confidently the given class: the label is right and
            // something outside the object (a marker the map missed) drives the prediction. The definition of a
            // confirmed shortcut ("the object alone gives the true class"), required to be confident by the class's
            // own threshold so that a weak object-alone guess does not overrule the probabilities.
            return Make(FindingKinds.Shortcut, InterventionObjectGivesLabel, offScore);
        }
        if (pPred < tk)
        {
            return Make(FindingKinds.Hard, PredictionBelowThreshold, margin);
        }
        if (pGiven >= tj || pGiven >= cut)
        {
            return Make(FindingKinds.Hard, GivenLabelNotOutlying, margin);
        }
        return Make(FindingKinds.LabelError, ConfidentPredictionOutlyingLabel, margin);
    }

    /// <summary>The findings of every row: the class statistics from all rows first, then each row's verdict.</summary>
    public static IReadOnlyList<Finding> DecideAll(IReadOnlyList<FindingInput> rows, int classCount, FindingsSettings settings)
    {
        ClassThresholds stats = ClassThresholds.From(rows, classCount, settings.OutlierMads);
        return rows.Select(r => Decide(r, stats, settings)).ToList();
    }
}
