using GradCamAudit.Results;

namespace GradCamAudit.Reporting;

/// <summary>A gallery row of a persisted summary: the row's scalars and where its maps are (file relative to the run folder, row group).</summary>
public sealed record SummaryGalleryRow(ReportRow Row, string File, int RowGroup);

/// <summary>Everything a <see cref="RunSummary"/> answers, as plain data: what run-summary.json holds.</summary>
public sealed record SummaryState(
    int ClassCount, long Audited, long Correct, long Flagged, long RightForWrongReason, long OffObject, long PossibleLabelErrors, long EmptyMasks,
    long[][] Confusion, double LiftCorrectSum, long LiftCorrectCount, double LiftWrongSum, long LiftWrongCount,
    long[] LiftCorrect, long[] LiftWrong, long[][] LiftByClass, long[] ConfidenceJudged, long[] ConfidenceOffObject,
    Dictionary<int, long> FlaggedByPrediction, ClassTable.Stats[] Classes,
    SummaryGalleryRow[] FlaggedGallery, SummaryGalleryRow[] RightForWrongReasonGallery, SummaryGalleryRow[] LabelErrorGallery,
    Dictionary<string, long>? MaskSources = null);

/// <summary>The per-class mean maps of a persisted summary (means per kind and class, null where none contributed).</summary>
public sealed record MeanMapsState(int CamHeight, int CamWidth, double Fraction, long RowsUsed, float[]?[] ByTrue, float[]?[] Flagged, float[]?[] ByPred,
    long[] ByTrueCount, long[] FlaggedCount, long[] ByPredCount);
