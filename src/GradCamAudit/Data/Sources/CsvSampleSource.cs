using GradCamAudit.Data.Masks;
using GradCamAudit.Options;

namespace GradCamAudit.Data.Sources;

/// <summary>
/// <c>dataset.format = csv</c>: today's manifest (<see cref="ManifestReader"/>). Every valid entry carries a
/// <see cref="FileMask"/>, so PNG masks are read by the project's PNG reader at any bit depth (palette-index:
/// <c>dataset.maskIndex</c>, else the label's class index + 1, index 0 being background).
/// </summary>
public sealed class CsvSampleSource(string manifestPath, IReadOnlyList<string> classes, DatasetSource settings) : ISampleSource
{
    private readonly ManifestReader reader = new(manifestPath, classes);
    private readonly string root = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;

    public string Format => "csv";

    public string Identity => Path.GetFullPath(manifestPath);

    public string ImageRoot => root;

    public IReadOnlyList<string> ExtraColumns => reader.ExtraColumns;

    public long Skipped => 0;

    public ManifestReader Manifest => reader;

    public string Fingerprint() => SourcePaths.Sha256File(manifestPath);

    /// <summary>The manifest's non-empty lines less the header (a record never spans lines): one read at disk speed.</summary>
    public long CountRows() => Math.Max(0, BoundedLineReader.CountNonEmptyLines(manifestPath) - 1);

    public IEnumerable<ManifestEntry> Read(long? limit = null)
    {
        foreach (ManifestEntry e in reader.Read(limit))
        {
            // Every mask file goes through FileMask (the project's PNG reader for PNGs), whatever the encoding: SkiaSharp
            // reduces 16-bit PNGs to 8 bits, so a 16-bit mask with object value 1 would read as empty.
            yield return e.ErrorCode != null || e.Locator != null // errors, boxes and rows without a mask
                ? e
                : e with { Locator = new FileMask(e.MaskPath, e.Source.Mask, settings.MaskEncoding, settings.MaskIndex ?? (e.Label + 1)) };
        }
    }

    public MaskLocator? Locate(string maskDescription, int label)
    {
        if (maskDescription.StartsWith(ManifestReader.BoxPrefix, StringComparison.Ordinal))
        {
            return BoxList.Parse(maskDescription[ManifestReader.BoxPrefix.Length..], out _) is { } boxes ? new BoxMask(maskDescription, boxes) : null;
        }
        return maskDescription.Length > 0 && SourcePaths.Inside(root, maskDescription) is string path
            ? new FileMask(path, maskDescription, settings.MaskEncoding, settings.MaskIndex ?? (label + 1)) : null;
    }
}
