namespace GradCamAudit.Data;

/// <summary>One data record of the manifest (1-based <paramref name="Row"/>, header excluded), paths as written.</summary>
public sealed record ManifestRow(
    long Row,
    string SampleId,
    string Image,
    string Label,
    string Mask,
    IReadOnlyList<string?> Extra);

/// <summary>A manifest row with its resolved label, or the reason it cannot be audited.</summary>
public sealed record ManifestEntry(ManifestRow Source, int Label, string ImagePath, string MaskPath, string? ErrorCode, string? ErrorDetail);

/// <summary>An error record for errors.csv.</summary>
public sealed record SampleError(long Row, string SampleId, string Image, string ReasonCode, string Detail);
