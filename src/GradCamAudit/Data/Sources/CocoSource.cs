using System.Globalization;
using GradCamAudit.Data.Masks;
using GradCamAudit.Options;

namespace GradCamAudit.Data.Sources;

/// <summary>
/// <c>dataset.format = coco</c>: a COCO instances file (<c>dataset.annotations</c>) over an image root
/// (<c>dataset.images</c>). Categories map to the model's classes by name (a name the model lacks is a config error
/// listing every such name, unless <c>dataset.ignoreUnknownCategories</c>, which drops their annotations). Rows:
/// images in the file's order, then (per-category sampling) categories by id. <c>largest</c>: one sample per image
/// (id = the image id), the category with the largest total <c>area</c>; <c>per-category</c>: id
/// <c>&lt;image_id&gt;:&lt;category name&gt;</c>. The mask is the union of that category's instances; crowd
/// annotations are object or, with <c>dataset.crowd = ignore</c>, void. Images without a known annotation are
/// <c>no_annotation</c> errors or skipped (<c>dataset.unannotated</c>).
/// </summary>
public sealed class CocoSource : ISampleSource
{
    private readonly DatasetSource settings;
    private readonly CocoIndex index;
    private readonly string images;
    private readonly Dictionary<long, int> classOfCategory = [];

    public CocoSource(IReadOnlyList<string> classes, DatasetSource settings)
    {
        this.settings = settings;
        string annotations = settings.Annotations ?? throw new ConfigException("dataset.annotations: required for format coco");
        images = settings.Images ?? throw new ConfigException("dataset.images: required for format coco");
        try
        {
            index = new CocoIndex(annotations);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new ConfigException($"dataset.annotations: '{annotations}' cannot be read as a COCO instances file: {ex.Message}");
        }
        var byName = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach ((long id, string name) in index.Categories.OrderBy(kv => kv.Key))
        {
            if (byName.TryGetValue(name, out int cls))
            {
                classOfCategory[id] = cls;
            }
            else
            {
                unknown.Add($"'{name}' (id {id})");
            }
        }
        if (unknown.Count > 0 && !settings.IgnoreUnknownCategories)
        {
            throw new ConfigException($"dataset.annotations: {unknown.Count} COCO categories are not classes of the model: {string.Join(", ", unknown)} (map them in dataset.classes, or set dataset.ignoreUnknownCategories to drop their annotations)");
        }
        Identity = annotations;
    }

    public string Format => "coco";

    public string Identity { get; }

    public string ImageRoot => images;

    public IReadOnlyList<string> ExtraColumns => [];

    public long Skipped { get; private set; }

    public string Fingerprint() => SourcePaths.Sha256File(Identity);

    public long CountRows() => Samples().LongCount(s => s.Kind != SampleKind.Skipped);

    public IEnumerable<ManifestEntry> Read(long? limit = null) => UniqueIds.Enforce(ReadAll(limit));

    private IEnumerable<ManifestEntry> ReadAll(long? limit)
    {
        long row = 0, skipped = 0;
        foreach ((SampleKind kind, CocoImage image, long category) in Samples())
        {
            if (kind == SampleKind.Skipped)
            {
                skipped++;
                continue;
            }
            row++;
            if (limit.HasValue && row > limit.Value)
            {
                yield break;
            }
            yield return Entry(row, kind, image, category);
        }
        Skipped = skipped;
    }

    private enum SampleKind
    {
        Sample,
        PerCategory,
        Unannotated,
        Skipped,
    }

    /// <summary>The samples in row order: (kind, image, category id) per the sampling and unannotated policies.</summary>
    private IEnumerable<(SampleKind Kind, CocoImage Image, long Category)> Samples()
    {
        foreach (CocoImage image in index.Images)
        {
            var area = new Dictionary<long, double>();
            foreach (CocoAnnotation a in index.AnnotationsOf(image.Id).Where(a => classOfCategory.ContainsKey(a.CategoryId) && (!a.IsCrowd || settings.Crowd == "object")))
            {
                area[a.CategoryId] = area.GetValueOrDefault(a.CategoryId) + a.Area;
            }
            IReadOnlyList<long> chosen = SamplingPolicy.Choose(area, settings.Sampling);
            if (chosen.Count == 0)
            {
                yield return (settings.Unannotated == "skip" ? SampleKind.Skipped : SampleKind.Unannotated, image, -1);
            }
            foreach (long category in chosen)
            {
                yield return (settings.Sampling == "per-category" ? SampleKind.PerCategory : SampleKind.Sample, image, category);
            }
        }
    }

    private ManifestEntry Entry(long row, SampleKind kind, CocoImage image, long category)
    {
        string imageId = image.Id.ToString(CultureInfo.InvariantCulture);
        string name = category >= 0 ? index.Categories[category] : "";
        string id = kind == SampleKind.PerCategory ? $"{imageId}:{name}" : imageId;
        string? imagePath = SourcePaths.Inside(images, image.FileName);
        List<CocoAnnotation> used = category < 0 ? [] : index.AnnotationsOf(image.Id).Where(a => a.CategoryId == category).ToList();
        string description = "coco:" + string.Join(',', used.Select(a => a.Id.ToString(CultureInfo.InvariantCulture)));
        var source = new ManifestRow(row, id, image.FileName, name, description, []);
        ManifestEntry Error(string code, string detail) => new(source, -1, imagePath ?? "", "", code, detail);
        if (kind == SampleKind.Unannotated)
        {
            return Error(ReasonCodes.NoAnnotation, $"image {imageId} has no annotation of a category of the model");
        }
        if (image.FileName.Length == 0 || imagePath == null)
        {
            return Error(ReasonCodes.InvalidPath, $"file_name '{image.FileName}' of image {imageId} is empty or escapes dataset.images");
        }
        if (image.Width <= 0 || image.Height <= 0)
        {
            return Error(ReasonCodes.MalformedRow, $"image {imageId} lacks a positive width and height");
        }
        if (used.FirstOrDefault(a => a.Problem != null) is CocoAnnotation bad)
        {
            return Error(ReasonCodes.MaskCorrupt, bad.Problem!);
        }
        CocoMask mask = Mask(description, image, used);
        if (mask.Problem() is string problem) // found by validate too, and before any pixel is allocated
        {
            return Error(ReasonCodes.MaskCorrupt, problem);
        }
        return new ManifestEntry(source, classOfCategory[category], imagePath, "", null, null, mask);
    }

    private CocoMask Mask(string description, CocoImage image, IEnumerable<CocoAnnotation> used)
    {
        var list = used.ToList();
        bool ignoreCrowd = settings.Crowd == "ignore";
        return new CocoMask(description, list.Where(a => !a.IsCrowd || !ignoreCrowd).Select(a => a.Shape).ToArray(),
            list.Where(a => a.IsCrowd && ignoreCrowd).Select(a => a.Shape).ToArray(), image.Width, image.Height);
    }

    public MaskLocator? Locate(string maskDescription, int label)
    {
        if (!maskDescription.StartsWith("coco:", StringComparison.Ordinal))
        {
            return null;
        }
        var used = new List<CocoAnnotation>();
        foreach (string part in maskDescription[5..].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long id) || !index.ById.TryGetValue(id, out CocoAnnotation? a))
            {
                return null;
            }
            used.Add(a);
        }
        CocoImage? image = used.Count == 0 ? null : index.Images.FirstOrDefault(i => i.Id == used[0].ImageId);
        return image == null ? null : Mask(maskDescription, image, used);
    }
}
