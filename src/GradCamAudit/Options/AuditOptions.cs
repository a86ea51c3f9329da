namespace GradCamAudit.Options;

/// <summary>The whole audit configuration after validation; paths are absolute (resolved against the config file).</summary>
public sealed record AuditOptions(
    string ConfigPath,
    string Name,
    DatasetOptions Dataset,
    ModelOptions Model,
    AuditSettings Audit,
    OutputOptions Output,
    ReportOptions Report);

/// <summary>Dataset section: a CSV manifest with columns image,label,mask (+ optional id, extra columns passed through).</summary>
public sealed record DatasetOptions(string Manifest, IReadOnlyList<string> Classes);

/// <summary>Model section: architecture, weights, input geometry and normalisation.</summary>
public sealed record ModelOptions(
    string Architecture,
    string Weights,
    int NumClasses,
    int InputHeight,
    int InputWidth,
    string TargetLayer,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std);

/// <summary>Audit section: batching, device and the scoring parameters.</summary>
public sealed record AuditSettings(
    int BatchSize,
    string Device,
    int DecodeWorkers,
    int PrefetchBatches,
    double OffObjectLiftThreshold,
    double PointingTolerancePx,
    double IouTopFraction,
    int PartRows);

/// <summary>Output section: the run folder.</summary>
public sealed record OutputOptions(string Directory);

/// <summary>Report section: gallery size and an optional template override directory.</summary>
public sealed record ReportOptions(int GalleryMax, string? TemplateDirectory);
