namespace GradCamAudit.Data;

/// <summary>One data record of the manifest (1-based <paramref name="Row"/>, header excluded), paths as written.</summary>
public sealed record ManifestRow(
    long Row,
    string SampleId,
    string Image,
    string Label,
    string Mask,
    IReadOnlyList<string?> Extra);

/// <summary>
/// A sample of any source (the hand-off to the decode stage) with its resolved label, or the reason it cannot be
/// audited. <paramref name="Locator"/> says how to read the mask; null is today's rule for a CSV manifest (the file at
/// <paramref name="MaskPath"/>, object where R, G or B is non-zero).
/// </summary>
public sealed record ManifestEntry(ManifestRow Source, int Label, string ImagePath, string MaskPath, string? ErrorCode, string? ErrorDetail, Masks.MaskLocator? Locator = null)
{
    /// <summary>Where the mask came from, for the results' <c>mask</c> column.</summary>
    public string MaskDescription => Locator?.Description ?? Source.Mask;
}

