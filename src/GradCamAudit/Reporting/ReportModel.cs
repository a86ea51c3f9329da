namespace GradCamAudit.Reporting;

/// <summary>Everything the report template shows. Scriban sees members in snake_case (e.g. <c>flagged_count</c>).</summary>
public sealed record ReportModel(
    RunHeader Run,
    Headline Headline,
    IReadOnlyList<ClassSummary> Classes,
    ConfusionMatrix Confusion,
    IReadOnlyList<GalleryItem> Flagged,
    int FlaggedTotal,
    IReadOnlyList<GalleryItem> RightForWrongReason,
    int RightForWrongReasonTotal,
    IReadOnlyList<ErrorSummary> Errors,
    IReadOnlyList<string> Notes,
    string LiftChart = "",
    IReadOnlyList<KeyValue>? ClassLiftCharts = null,
    IReadOnlyList<GalleryItem>? LabelErrors = null,
    long LabelErrorTotal = 0,
    IReadOnlyList<GateRow>? Gates = null,
    BaselineView? Baseline = null,
    IReadOnlyList<MethodRow>? Methods = null,
    string TrendChart = "",
    int TrendRuns = 0,
    IReadOnlyList<GateRow>? NotEvaluated = null,
    IReadOnlyList<AcknowledgedRow>? Acknowledged = null,
    long AcknowledgedResolved = 0,
    IReadOnlyList<MeanMapRow>? MeanMaps = null,
    string MeanMapsNote = "",
    SampledChecksModel? Checks = null,
    string ConfidenceChart = "",
    IReadOnlyList<GateRow>? Inconclusive = null,
    Findings.FindingsReport? Findings = null,
    IReadOnlyList<GalleryItem>? HardCases = null,
    long HardTotal = 0,
    StrategiesSection? Strategies = null);

/// <summary>
/// One gate as the report's gate table shows it, with its evidence: the samples behind it (<paramref name="Evidence"/>,
/// e.g. "12 off-object samples, 40.0% of the class"), the class row it concerns and the gallery filter that shows them.
/// </summary>
public sealed record GateRow(string State, string Name, string Scope, string Value, string Interval, string Limit, bool Failed,
    string Severity = "", string Evidence = "", string ClassAnchor = "", string FilterTrue = "", string FilterKind = "", string Link = "");

/// <summary>A known finding of this run from gates.acknowledged: shown greyed, not counted by the gates while it holds.</summary>
public sealed record AcknowledgedRow(string SampleId, string Finding, string TrueName, string PredName, string PredLift, string Note, string ReviewBy, string State, bool Holds);

/// <summary>The comparison with a baseline run: what differs in provenance, overall figures and changed flags.</summary>
public sealed record BaselineView(string RunId, string Differences, IReadOnlyList<BaselineFigure> Figures, long NewlyFlagged, long NoLongerFlagged);

public sealed record BaselineFigure(string Figure, string Baseline, string Current, string Delta);

public sealed record RunHeader(string RunId, string Name, string ToolVersion, string Finished, string Device, string Model, string TargetLayer,
    string CamSize, string InputSize, string WeightsSha256, string ConfigSha256, string Manifest, string Duration, string Throughput, double OffObjectThreshold,
    double LabelErrorConfidence = 0.9, double LabelErrorLift = 2.0);

public sealed record Headline(long Samples, long Errors, long Audited, string Accuracy, long Flagged, long RightForWrongReason, long OffObject,
    string MeanLiftCorrect, string MeanLiftWrong, long EmptyMasks, string Verdict, string Regions = "", long SamplesWithMask = 0);

public sealed record ClassSummary(string Name, long Count, string Accuracy, string MeanPredLift, string MedianPredLift, string MeanTrueLift, string MeanTrueEnergy,
    string OffObjectRate, long Flagged, long RightForWrongReason, bool Alarm, string Anchor = "");

/// <summary>The confusion matrix: a table of cells, or for many classes a heat-map image and the top confusions.</summary>
public sealed record ConfusionMatrix(IReadOnlyList<string> Names, IReadOnlyList<ConfusionRow> Rows, string HeatmapUri = "", IReadOnlyList<TopConfusion>? Top = null);

public sealed record TopConfusion(string TrueName, string PredName, long Count, string ShareOfClass);

public sealed record ConfusionRow(string Name, IReadOnlyList<ConfusionCell> Cells);

public sealed record ConfusionCell(long Count, double Shade, bool Diagonal, string TrueName = "", string PredName = "");

public sealed record GalleryItem(string SampleId, long Row, string Image, string TrueName, string PredName, string Confidence, string TrueProb,
    string PredLift, string PredEnergy, string TrueLift, string TrueEnergy, string PredHit, string MaskFraction,
    string ImageUri, string PredUri, string TrueUri, IReadOnlyList<KeyValue> Extra, string Kind = "", string LiftValue = "", string AckNote = "",
    IReadOnlyList<KeyValue>? MethodMaps = null)
{
    /// <summary>The finding's evidence line ("given 'x' p=…, predicted 'y' p=…, map on the object …"), or "".</summary>
    public string Evidence { get; init; } = "";
}

public sealed record KeyValue(string Key, string Value);

public sealed record ErrorSummary(string ReasonCode, long Count);
