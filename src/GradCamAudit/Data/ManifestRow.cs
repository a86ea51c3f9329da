namespace GradCamAudit.Data;

/// <summary>
/// One data record of the manifest (1-based <paramref name="Row"/>, header excluded), paths as written; <paramref name="Mask"/>
/// and <paramref name="Box"/> are empty where the row names no mask file or no boxes.
/// </summary>
public sealed record ManifestRow(
    long Row,
    string SampleId,
    string Image,
    string Label,
    string Mask,
    IReadOnlyList<string?> Extra,
    string Box = "");

/// <summary>
/// A sample of any source (the hand-off to the decode stage) with its resolved label, or the reason it cannot be
/// audited. <paramref name="Locator"/> says how to read the mask; null is today's rule for a CSV manifest (the file at
/// <paramref name="MaskPath"/>, object where R, G or B is non-zero).
/// </summary>
public sealed record ManifestEntry(ManifestRow Source, int Label, string ImagePath, string MaskPath, string? ErrorCode, string? ErrorDetail, Masks.MaskLocator? Locator = null)
{
    /// <summary>Where the mask came from, for the results' <c>mask</c> column.</summary>
    public string MaskDescription => Locator?.Description ?? Source.Mask;

    /// <summary>The kind of region, for the results' <c>mask_source</c> column (a bare mask path is a file).</summary>
    public string MaskSource => Locator?.Source ?? Masks.MaskSources.File;
}

