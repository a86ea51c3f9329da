using GradCamAudit.Data.Masks;
using GradCamAudit.Options;

namespace GradCamAudit.Data.Sources;

/// <summary>
/// <c>dataset.format = imagefolder</c> (torchvision's ImageFolder layout): <c>dataset.images</c> holds one folder per
/// class (the folder name is the class name), <c>dataset.masks</c> the same relative paths with
/// <c>dataset.maskExtension</c>. Rows are the image files (extensions of <see cref="SourcePaths.ImageExtensions"/>,
/// any case; names starting with '.' skipped) in ordinal order of their relative paths written with '/'; the sample id
/// is that relative path. A file outside a class folder, or in a folder that is no class, is <c>unknown_label</c>.
/// Without <c>dataset.masks</c> every sample is audited without a mask (<see cref="NoMask"/>, <c>mask_source = none</c>).
/// </summary>
public sealed class ImageFolderSource(IReadOnlyList<string> classes, DatasetSource settings) : ISampleSource
{
    private readonly string images = settings.Images ?? throw new ConfigException("dataset.images: required for format imagefolder");
    private readonly string? masks = settings.Masks;
    private readonly Dictionary<string, int> classIndex = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
    private List<string>? listing;

    public string Format => "imagefolder";

    public string Identity => images;

    public string ImageRoot => images;

    public IReadOnlyList<string> ExtraColumns => [];

    public long Skipped => 0;

    /// <summary>The relative image paths in row order (read once).</summary>
    /// <remarks>
    /// Linked folders (symbolic links to directories) are not descended into: <c>ln -s . images/circle/again</c> would
    /// otherwise repeat the class until ELOOP, and two such links make the walk exponential. Linked files are kept.
    /// <see cref="SkippedLinks"/> counts the links left out.
    /// </remarks>
    public IReadOnlyList<string> Listing => listing ??= Walk()
        .Select(f => Path.GetRelativePath(images, f).Replace(Path.DirectorySeparatorChar, '/'))
        .Where(r => !r.Split('/').Any(seg => seg.StartsWith('.')) && SourcePaths.ImageExtensions.Contains(Path.GetExtension(r).ToLowerInvariant()))
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>The linked folders the walk did not descend into (their relative paths), known after <see cref="Listing"/>.</summary>
    public IReadOnlyList<string> SkippedLinks => skippedLinks;

    private readonly List<string> skippedLinks = [];

    private IEnumerable<string> Walk()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = false };
        var files = new System.IO.Enumeration.FileSystemEnumerable<string>(images, (ref System.IO.Enumeration.FileSystemEntry e) => e.ToFullPath(), options)
        {
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry e) => !e.IsDirectory,
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry e) =>
            {
                if ((e.Attributes & FileAttributes.ReparsePoint) == 0)
                {
                    return true;
                }
                skippedLinks.Add(Path.GetRelativePath(images, e.ToFullPath()).Replace(Path.DirectorySeparatorChar, '/'));
                return false;
            },
        };
        return files.ToList();
    }

    public string Fingerprint() => SourcePaths.Sha256Lines(Listing.Select(r => $"{r}\t{new FileInfo(Path.Combine(images, r)).Length}"));

    public long CountRows() => Listing.Count;

    public string MaskOf(string relativeImage) => Path.ChangeExtension(relativeImage, settings.MaskExtension).Replace('\\', '/');

    public IEnumerable<ManifestEntry> Read(long? limit = null)
    {
        long row = 0;
        foreach (string rel in Listing)
        {
            row++;
            if (limit.HasValue && row > limit.Value)
            {
                yield break;
            }
            string mask = masks == null ? "" : MaskOf(rel);
            int slash = rel.IndexOf('/', StringComparison.Ordinal);
            string className = slash > 0 ? rel[..slash] : "";
            var source = new ManifestRow(row, rel, rel, className, mask, []);
            string imagePath = Path.Combine(images, rel);
            string maskPath = masks == null ? "" : Path.Combine(masks, mask);
            if (!classIndex.TryGetValue(className, out int label))
            {
                string detail = slash < 0 ? $"'{rel}' is not inside a class folder" : $"folder '{className}' is not one of the configured classes";
                yield return new ManifestEntry(source, -1, imagePath, maskPath, ReasonCodes.UnknownLabel, detail);
                continue;
            }
            yield return new ManifestEntry(source, label, imagePath, maskPath, null, null, Locate(mask, label));
        }
    }

    public MaskLocator Locate(string maskDescription, int label) => masks == null || maskDescription.Length == 0
        ? NoMask.Instance
        : new FileMask(Path.Combine(masks, maskDescription), maskDescription, settings.MaskEncoding, settings.MaskIndex ?? (label + 1));

    MaskLocator? ISampleSource.Locate(string maskDescription, int label) =>
        masks != null && maskDescription.Length > 0 && SourcePaths.Inside(masks, maskDescription) != null ? Locate(maskDescription, label) : null;
}
