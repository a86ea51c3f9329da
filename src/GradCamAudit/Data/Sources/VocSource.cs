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
/// With <c>dataset.vocRegions = boxes</c> the ids come from <c>ImageSets/Main/&lt;split&gt;.txt</c> and the region of a
/// sample is the union of the boxes of the objects of its class in <c>Annotations/&lt;id&gt;.xml</c>
/// (<see cref="VocAnnotation"/>; areas for sampling are box areas; <c>truncated</c> objects count as object; a
/// <c>difficult</c> one follows <c>dataset.vocDifficult</c>: void, object, or ignore), mask column
/// <c>voc-boxes:Annotations/&lt;id&gt;.xml#&lt;index&gt;</c>, <c>mask_source = box</c>.
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
        listPath = Path.Combine(root, "ImageSets", settings.VocListFolder, settings.Split + ".txt");
        Boxes = settings.VocRegions == "boxes";
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

    /// <summary>True under <c>dataset.vocRegions = boxes</c>.</summary>
    private bool Boxes { get; }

    /// <summary>The results' <c>mask</c> prefix of VOC box regions.</summary>
    public const string BoxPrefix = "voc-boxes:";

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
        SourcePaths.Inside(root, RegionFile(id)) is string mask && File.Exists(mask) ? $"{id}\t{SourcePaths.Sha256File(mask)}" : id));

    /// <summary>The file that gives a sample's region: the segmentation PNG or the annotation XML.</summary>
    private string RegionFile(string id) => Boxes ? $"Annotations/{id}.xml" : $"SegmentationClass/{id}.png";

    public long CountRows() => Ids().LongCount();

    private IEnumerable<string> Ids() => File.ReadLines(listPath).Select(l => l.Trim()).Where(l => l.Length > 0);

    public IEnumerable<ManifestEntry> Read(long? limit = null) => UniqueIds.Enforce(ReadAll(limit));

    private IEnumerable<ManifestEntry> ReadAll(long? limit)
    {
        long row = 0, skipped = 0;
        foreach (string id in Ids())
        {
            string image = $"JPEGImages/{id}.jpg", mask = RegionFile(id);
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
                    chosen = SamplingPolicy.Choose(Boxes ? BoxAreas(maskPath, mask) : Areas(maskPath, mask), settings.Sampling);
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
                    error = Error(ReasonCodes.NoAnnotation, Boxes ? $"annotation {mask} holds no counted object of a class of the model" : $"mask {mask} holds no pixel of a class of the model");
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
                string description = Boxes ? $"{BoxPrefix}{mask}#{index}" : $"voc:{mask}#{index}";
                MaskLocator locator = Boxes ? BoxRegion(maskPath!, mask, description, (int)index) : new FileMask(maskPath!, description, "palette-index", (int)index, MaskSources.Voc);
                yield return new ManifestEntry(new ManifestRow(row, sampleId, image, name, description, []), classOfIndex[(int)index], imagePath!, Boxes ? "" : maskPath!, null, null, locator);
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

    /// <summary>The VOC index of an object's name (position in <c>dataset.vocClasses</c>), or -1.</summary>
    private int IndexOf(string name)
    {
        IReadOnlyList<string> names = settings.VocNames;
        for (int i = 1; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Whether an object counts towards its class's region and area (difficult ones only under <c>object</c>).</summary>
    private bool Counts(VocObject o) => !o.Difficult || settings.VocDifficult == "object";

    /// <summary>Box area per known class index of an annotation, over the objects that count; an unknown name is refused unless ignored by config.</summary>
    private Dictionary<long, double> BoxAreas(string path, string name)
    {
        var areas = new Dictionary<long, double>();
        foreach (VocObject o in VocAnnotation.Read(path, name).Objects)
        {
            int index = IndexOf(o.Name);
            if (index < 0 && !settings.IgnoreUnknownCategories)
            {
                throw new SampleException(ReasonCodes.AnnotationInvalid, $"object name '{o.Name}' is not in dataset.vocClasses (or set dataset.ignoreUnknownCategories): {name}");
            }
            if (index >= 0 && classOfIndex.ContainsKey(index) && Counts(o))
            {
                areas[index] = areas.GetValueOrDefault(index) + (o.Box.W * o.Box.H);
            }
        }
        return areas;
    }

    /// <summary>The boxes of one class of an annotation: object boxes, and difficult ones as void under <c>vocDifficult = void</c>.</summary>
    private BoxMask BoxRegion(string path, string name, string description, int index)
    {
        (IReadOnlyList<VocObject> objects, (int, int)? size) = VocAnnotation.Read(path, name);
        var mine = objects.Where(o => IndexOf(o.Name) == index).ToList();
        return new BoxMask(description, mine.Where(Counts).Select(o => o.Box).ToArray(),
            settings.VocDifficult == "void" ? mine.Where(o => o.Difficult).Select(o => o.Box).ToArray() : [], size);
    }

    public MaskLocator? Locate(string maskDescription, int label)
    {
        if (maskDescription.StartsWith(BoxPrefix, StringComparison.Ordinal))
        {
            int at = maskDescription.LastIndexOf('#');
            if (at < 0 || !int.TryParse(maskDescription.AsSpan(at + 1), out int boxIndex) || SourcePaths.Inside(root, maskDescription[BoxPrefix.Length..at]) is not string xml)
            {
                return null;
            }
            try
            {
                return BoxRegion(xml, maskDescription[BoxPrefix.Length..at], maskDescription, boxIndex);
            }
            catch (SampleException)
            {
                return null;
            }
        }

        int hash = maskDescription.LastIndexOf('#');
        if (!maskDescription.StartsWith("voc:", StringComparison.Ordinal) || hash < 0 || !int.TryParse(maskDescription.AsSpan(hash + 1), out int index))
        {
            return null;
        }
        string? path = SourcePaths.Inside(root, maskDescription[4..hash]);
        return path == null ? null : new FileMask(path, maskDescription, "palette-index", index, MaskSources.Voc);
    }
}
