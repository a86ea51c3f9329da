using GradCamAudit.Data.Masks;
using GradCamAudit.Data.Png;
using GradCamAudit.Options;

namespace GradCamAudit.Data.Sources;

/// <summary>
/// <c>dataset.format = voc</c>: a Pascal VOC tree under <c>dataset.root</c>. Rows: the ids of
/// <c>ImageSets/Segmentation/&lt;split&gt;.txt</c> in the file's order; image <c>JPEGImages/&lt;id&gt;.jpg</c>, mask
/// <c>SegmentationClass/&lt;id&gt;.png</c> read as palette indices by the project's <see cref="PngReader"/> (index 0
/// background, 255 void). <c>dataset.vocClasses</c> names the indices (VOC 2012's 21 by default); names map to the
/// model's classes as COCO categories do. The classes present come from the mask's pixels, so the source decodes each
/// mask once while listing; sampling and unannotated images as for COCO (areas are pixel counts; per-category ids
/// <c>&lt;id&gt;:&lt;name&gt;</c>). The mask column reads <c>voc:SegmentationClass/&lt;id&gt;.png#&lt;index&gt;</c>.
/// </summary>
public sealed class VocSource : ISampleSource
{
    private readonly DatasetSource settings;
    private readonly string root;
    private readonly string listPath;
    private readonly Dictionary<int, int> classOfIndex = [];

    public VocSource(IReadOnlyList<string> classes, DatasetSource settings, long maxPixels = ImageDecoder.DefaultMaxImagePixels)
    {
        this.settings = settings;
        root = settings.Root ?? throw new ConfigException("dataset.root: required for format voc");
        listPath = Path.Combine(root, "ImageSets", "Segmentation", settings.Split + ".txt");
        MaxPixels = maxPixels;
        var byName = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var unknown = new List<string>();
        IReadOnlyList<string> names = settings.VocNames;
        for (int i = 1; i < names.Count; i++)
        {
            if (byName.TryGetValue(names[i], out int cls))
            {
                classOfIndex[i] = cls;
            }
            else
            {
                unknown.Add($"'{names[i]}' (index {i})");
            }
        }
        if (unknown.Count > 0 && !settings.IgnoreUnknownCategories)
        {
            throw new ConfigException($"dataset.vocClasses: {unknown.Count} VOC classes are not classes of the model: {string.Join(", ", unknown)} (set dataset.vocClasses to your indices' names, or dataset.ignoreUnknownCategories to treat them as background)");
        }
    }

    private long MaxPixels { get; }

    public string Format => "voc";

    public string Identity => listPath;

    public string ImageRoot => root;

    public IReadOnlyList<string> ExtraColumns => [];

    public long Skipped { get; private set; }

    /// <summary>
    /// What decides the rows: the split list and the content of every mask it names (the classes a mask holds decide
    /// which rows it gives, so an edited mask can renumber the rows after it; a resume or merge must see that).
    /// </summary>
    public string Fingerprint() => SourcePaths.Sha256Lines(Ids().Prepend(SourcePaths.Sha256File(listPath)).Select(id =>
        SourcePaths.Inside(root, $"SegmentationClass/{id}.png") is string mask && File.Exists(mask) ? $"{id}\t{SourcePaths.Sha256File(mask)}" : id));

    public long CountRows() => Ids().LongCount();

    private IEnumerable<string> Ids() => File.ReadLines(listPath).Select(l => l.Trim()).Where(l => l.Length > 0);

    public IEnumerable<ManifestEntry> Read(long? limit = null) => UniqueIds.Enforce(ReadAll(limit));

    private IEnumerable<ManifestEntry> ReadAll(long? limit)
    {
        long row = 0, skipped = 0;
        foreach (string id in Ids())
        {
            string image = $"JPEGImages/{id}.jpg", mask = $"SegmentationClass/{id}.png";
            string? imagePath = SourcePaths.Inside(root, image), maskPath = SourcePaths.Inside(root, mask);
            ManifestEntry Error(string code, string detail) => new(new ManifestRow(row, id, image, "", mask, []), -1, imagePath ?? "", maskPath ?? "", code, detail);
            (IReadOnlyList<long> chosen, ManifestEntry? error) = (Array.Empty<long>(), null);
            if (imagePath == null || maskPath == null || id.Contains('/', StringComparison.Ordinal) || id.Contains('\\', StringComparison.Ordinal))
            {
                row++;
                error = Error(ReasonCodes.InvalidPath, $"id '{id}' is not a plain file name: its paths would leave dataset.root");
            }
            else
            {
                try
                {
                    chosen = SamplingPolicy.Choose(Areas(maskPath, mask), settings.Sampling);
                }
                catch (SampleException ex)
                {
                    row++;
                    error = Error(ex.ReasonCode, ex.Message);
                }
                if (error == null && chosen.Count == 0)
                {
                    if (settings.Unannotated == "skip")
                    {
                        skipped++;
                        continue;
                    }
                    row++;
                    error = Error(ReasonCodes.NoAnnotation, $"mask {mask} holds no pixel of a class of the model");
                }
            }
            if (error != null)
            {
                if (limit.HasValue && row > limit.Value)
                {
                    yield break;
                }
                yield return error with { Source = error.Source with { Row = row } };
                continue;
            }
            foreach (long index in chosen)
            {
                row++;
                if (limit.HasValue && row > limit.Value)
                {
                    yield break;
                }
                string name = settings.VocNames[(int)index];
                string sampleId = settings.Sampling == "per-category" ? $"{id}:{name}" : id;
                string description = $"voc:{mask}#{index}";
                yield return new ManifestEntry(new ManifestRow(row, sampleId, image, name, description, []), classOfIndex[(int)index], imagePath!, maskPath!, null, null,
                    new FileMask(maskPath!, description, "palette-index", (int)index, MaskSources.Voc));
            }
        }
        Skipped = skipped;
    }

    /// <summary>Pixels per known class index of a mask (0, 255 and unmapped indices left out).</summary>
    private Dictionary<long, double> Areas(string maskPath, string name)
    {
        byte[] bytes = SampleFiles.ReadBytes(maskPath, ReasonCodes.MaskMissing, "mask");
        PngImage png;
        try
        {
            png = PngReader.Decode(bytes, MaxPixels);
        }
        catch (InvalidDataException ex)
        {
            throw new SampleException(ReasonCodes.MaskCorrupt, $"mask is not a readable PNG ({ex.Message}): {name}");
        }
        var counts = new Dictionary<long, double>();
        for (int p = 0; p < png.Width * png.Height; p++)
        {
            int v = png.Sample(p, 0);
            if (classOfIndex.ContainsKey(v))
            {
                counts[v] = counts.GetValueOrDefault(v) + 1;
            }
        }
        return counts;
    }

    public MaskLocator? Locate(string maskDescription, int label)
    {
        int hash = maskDescription.LastIndexOf('#');
        if (!maskDescription.StartsWith("voc:", StringComparison.Ordinal) || hash < 0 || !int.TryParse(maskDescription.AsSpan(hash + 1), out int index))
        {
            return null;
        }
        string? path = SourcePaths.Inside(root, maskDescription[4..hash]);
        return path == null ? null : new FileMask(path, maskDescription, "palette-index", index, MaskSources.Voc);
    }
}
