namespace GradCamAudit.Options;

/// <summary>The whole audit configuration after validation; paths are absolute (resolved against the config file).</summary>
public sealed record AuditOptions(
    string ConfigPath,
    string Name,
    DatasetOptions Dataset,
    ModelOptions Model,
    AuditSettings Audit,
    OutputOptions Output,
    ReportOptions Report,
    ExplainOptions? Explain = null,
    GatesOptions? Gates = null,
    FindingsOptions? Findings = null,
    StrategiesOptions? Strategies = null)
{
    /// <summary>The strategies section (the defaults for a run.json written before the section existed).</summary>
    public StrategiesOptions StrategiesSettings => Strategies ?? StrategiesOptions.Default;

    /// <summary>The findings section (the defaults for a run.json written before the section existed).</summary>
    public FindingsOptions FindingsSettings => Findings ?? FindingsOptions.Default;

    /// <summary>The gates section (none configured for a run.json written before the section existed).</summary>
    public GatesOptions GatesSettings => Gates ?? GatesOptions.None;

    /// <summary>The explain section (the defaults for a run.json written before the section existed).</summary>
    public ExplainOptions ExplainSettings => Explain ?? ExplainOptions.Default;
}

/// <summary>
/// Explain section: the CAM methods (the first is primary: its maps and metrics fill the main results table), the
/// targets (classes explained besides the predicted and the true one, which are always explained) and the metrics
/// (column names of <see cref="Scoring.Metrics.MetricCatalogue"/>).
/// </summary>
public sealed record ExplainOptions(IReadOnlyList<string> Methods, IReadOnlyList<string> Targets, IReadOnlyList<string> Metrics, string StoreMaps = "all",
    string? PerturbationSample = null, int Seed = 0, int PerturbationBatchSize = 64, string? FaithfulnessSample = null, int FaithfulnessSteps = 32, string? SanitySample = null)
{
    public static readonly string[] MapPolicies = ["all", "primary", "none"];

    public static ExplainOptions Default { get; } = new(["gradcam"], ["pred", "true"], Scoring.Metrics.MetricCatalogue.Defaults);

    public string Primary => Methods[0];

    /// <summary>The selected metrics in catalogue order (the required ones included).</summary>
    public IReadOnlyList<string> MetricColumns => Scoring.Metrics.MetricCatalogue.Select(Metrics).Select(m => m.Info.Column).ToArray();
}

/// <summary>
/// Dataset section: the class names and where the samples come from (<see cref="DatasetSource"/>; today's CSV
/// manifest with columns image,label,mask (+ optional id, extra columns passed through) when absent).
/// </summary>
public sealed record DatasetOptions(string Manifest, IReadOnlyList<string> Classes, DatasetSource? Source = null)
{
    /// <summary>The source settings (the CSV defaults for a run.json written before the section grew).</summary>
    public DatasetSource SourceSettings => Source ?? DatasetSource.Csv;
}

/// <summary>Model section: architecture, weights, input geometry, preprocessing and (TorchScript) the trunk output's layout.</summary>
public sealed record ModelOptions(
    string Architecture,
    string Weights,
    string WeightsFormat,
    string? Head,
    int NumClasses,
    int InputHeight,
    int InputWidth,
    string TargetLayer,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    PreprocessOptions Preprocess,
    TrunkOutput? Output = null)
{
    /// <summary>The trunk output's layout (nchw for a run.json written before the key existed).</summary>
    public TrunkOutput OutputLayout => Output ?? TrunkOutput.Nchw;
}

/// <summary>
/// Geometry and value mapping from a decoded image to the model input. <c>direct</c> resizes straight to the input
/// size (torchvision <c>Resize((h, w))</c>); <c>shorter-side-crop</c> resizes the shorter side to
/// <paramref name="ResizeShorter"/> and takes the centre crop of the input size (<c>Resize(s)</c> + <c>CenterCrop</c>).
/// Pixel values are divided by <paramref name="ValueScale"/> (255: [0, 1] as ToTensor; 1: raw [0, 255]) before mean/std.
/// </summary>
public sealed record PreprocessOptions(string Resize, int ResizeShorter, string Interpolation, float ValueScale, bool Antialias = true)
{
    public static readonly string[] ResizePolicies = ["direct", "shorter-side-crop"];
    public static readonly string[] Interpolations = ["bilinear", "nearest", "bicubic"];

    public static PreprocessOptions Default { get; } = new("direct", 0, "bilinear", 255f);
}

/// <summary>Audit section: batching, device and the scoring parameters.</summary>
public sealed record AuditSettings(
    int BatchSize,
    string Device,
    int DecodeWorkers,
    int PrefetchBatches,
    double OffObjectLiftThreshold,
    double PointingTolerancePx,
    double IouTopFraction,
    int PartRows,
    int Threads,
    long MaxImagePixels,
    int BatchTimeoutSeconds,
    double LabelErrorMinConfidence = 0.9,
    double LabelErrorMinLift = 2.0,
    long MaxFileBytes = Data.ImageDecoder.DefaultMaxFileBytes,
    long DecodeMemoryBytes = Data.DecodeBudget.DefaultBytes);

/// <summary>Output section: the run folder.</summary>
public sealed record OutputOptions(string Directory);

/// <summary>Report section: gallery size and an optional template override directory.</summary>
public sealed record ReportOptions(int GalleryMax, string? TemplateDirectory, int ConfusionMaxClasses = 40, string Images = "full")
{
    public static readonly string[] ImagePolicies = ["full", "maps-only"];
}

/// <summary>
/// Gates section, all limits in percent (5 means 5 points): a rise of the flagged or right-for-the-wrong-reason rate
/// against the baseline, a minimum on-object rate per true class, a maximum error rate. A gate fails only when the
/// confidence interval at <paramref name="Confidence"/> lies wholly beyond its limit.
/// </summary>
public sealed record GatesOptions(double? MaxFlaggedRateRise, double? MaxRightForWrongReasonRateRise, double? MinOnObjectRate, double? MaxErrorRate, int MinClassSamples, double Confidence,
    double? MaxNewlyFlagged = null, IReadOnlyDictionary<string, string>? Severity = null, string? Acknowledged = null, double? MaxNewlyFlaggedPerClass = null,
    long? MinAuditedRows = null, double? MaxLabelErrorRate = null, double? MaxShortcutRate = null)
{
    public static readonly string[] GateNames = ["maxFlaggedRateRise", "maxRightForWrongReasonRateRise", "minOnObjectRate", "maxErrorRate", "maxNewlyFlagged", "maxNewlyFlaggedPerClass", "minAuditedRows",
        "maxLabelErrorRate", "maxShortcutRate"];

    public static GatesOptions None { get; } = new(null, null, null, null, 30, 0.95);

    public bool Any => MaxFlaggedRateRise != null || MaxRightForWrongReasonRateRise != null || MinOnObjectRate != null || MaxErrorRate != null || MaxNewlyFlagged != null || MaxNewlyFlaggedPerClass != null
        || MinAuditedRows != null || MaxLabelErrorRate != null || MaxShortcutRate != null;

    /// <summary>A gate's declared severity: "fail" (the default: exit 3) or "warn" (reported, exit 3 only with --fail-on-warn).</summary>
    public string SeverityOf(string gate) => Severity?.GetValueOrDefault(gate) ?? "fail";
}
