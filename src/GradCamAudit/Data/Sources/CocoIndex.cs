using System.Text.Json;
using GradCamAudit.Data.Masks;

namespace GradCamAudit.Data.Sources;

/// <summary>An image record of a COCO file.</summary>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);

/// <summary>An annotation of a COCO file; <paramref name="Problem"/> says why its segmentation cannot be read (null when it can).</summary>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, bool IsCrowd, double Area, CocoShape Shape, string? Problem);

/// <summary>
/// A COCO instances file (cocodataset.org "Data format": images, categories, annotations), read once into memory
/// in file order: images as listed, annotations grouped by image in file order, categories by id. Segmentation is a
/// list of polygons, an RLE object (<c>counts</c> a list, or COCO's compressed string, and <c>size</c> [h, w]), or
/// absent (the <c>bbox</c> then makes a box mask).
/// </summary>
public sealed class CocoIndex
{
    private readonly Dictionary<long, List<CocoAnnotation>> byImage = [];

    public CocoIndex(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using JsonDocument doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true });
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("images", out JsonElement images) || !root.TryGetProperty("categories", out JsonElement categories))
        {
            throw new Options.ConfigException($"dataset.annotations: '{path}' is not a COCO instances file (no images or categories array)");
        }
        foreach (JsonElement c in categories.EnumerateArray())
        {
            Categories[c.GetProperty("id").GetInt64()] = c.GetProperty("name").GetString() ?? "";
        }
        foreach (JsonElement i in images.EnumerateArray())
        {
            Images.Add(new CocoImage(i.GetProperty("id").GetInt64(), i.GetProperty("file_name").GetString() ?? "",
                Int(i, "width"), Int(i, "height")));
        }
        if (root.TryGetProperty("annotations", out JsonElement annotations))
        {
            foreach (JsonElement a in annotations.EnumerateArray())
            {
                CocoAnnotation ann = ReadAnnotation(a);
                ById[ann.Id] = ann;
                if (!byImage.TryGetValue(ann.ImageId, out List<CocoAnnotation>? list))
                {
                    byImage[ann.ImageId] = list = [];
                }
                list.Add(ann);
            }
        }
    }

    public List<CocoImage> Images { get; } = [];

    public Dictionary<long, string> Categories { get; } = [];

    public Dictionary<long, CocoAnnotation> ById { get; } = [];

    public IReadOnlyList<CocoAnnotation> AnnotationsOf(long imageId) => byImage.TryGetValue(imageId, out List<CocoAnnotation>? list) ? list : [];

    private static int Int(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.TryGetInt32(out int i) ? i : 0;

    private static CocoAnnotation ReadAnnotation(JsonElement a)
    {
        long id = a.GetProperty("id").GetInt64();
        long image = a.GetProperty("image_id").GetInt64();
        long category = a.GetProperty("category_id").GetInt64();
        bool crowd = a.TryGetProperty("iscrowd", out JsonElement c) && c.ValueKind == JsonValueKind.Number && c.GetInt32() != 0;
        double[]? box = a.TryGetProperty("bbox", out JsonElement b) && b.ValueKind == JsonValueKind.Array ? b.EnumerateArray().Select(x => x.GetDouble()).ToArray() : null;
        double area = a.TryGetProperty("area", out JsonElement ar) && ar.ValueKind == JsonValueKind.Number ? ar.GetDouble() : box is { Length: 4 } ? box[2] * box[3] : 0;
        try
        {
            CocoShape shape = ReadShape(a, box);
            return new CocoAnnotation(id, image, category, crowd, area, shape, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or KeyNotFoundException)
        {
            return new CocoAnnotation(id, image, category, crowd, area, new CocoShape(null, null, null, null), $"annotation {id}: {ex.Message}");
        }
    }

    private static CocoShape ReadShape(JsonElement a, double[]? box)
    {
        if (!a.TryGetProperty("segmentation", out JsonElement s) || s.ValueKind == JsonValueKind.Null || (s.ValueKind == JsonValueKind.Array && s.GetArrayLength() == 0))
        {
            return box is { Length: 4 } ? new CocoShape(null, null, null, box) : throw new InvalidDataException("neither a segmentation nor a bbox [x, y, w, h]");
        }
        if (s.ValueKind == JsonValueKind.Array)
        {
            return new CocoShape(s.EnumerateArray().Select(p => p.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray(), null, null, null);
        }
        JsonElement counts = s.GetProperty("counts");
        return counts.ValueKind == JsonValueKind.String
            ? new CocoShape(null, null, counts.GetString(), null)
            : new CocoShape(null, counts.EnumerateArray().Select(x => x.GetInt64()).ToArray(), null, null);
    }
}
