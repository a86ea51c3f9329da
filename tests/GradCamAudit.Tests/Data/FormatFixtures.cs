using System.Globalization;
using System.Text.Json.Nodes;
using GradCamAudit.Data.Masks;
using SkiaSharp;

namespace GradCamAudit.Tests.Data;

/// <summary>What <see cref="FormatFixtures.Write"/> wrote: the dataset roots and how the COCO masks were encoded.</summary>
public sealed record FormatFixtureSet(string Root, string Csv, string Images, string Masks, string CocoAnnotations, string CocoImages, string VocRoot, IReadOnlyDictionary<string, int> CocoEncodings, IReadOnlySet<string> VoidBordered);

/// <summary>
/// The project's fixture script for the dataset formats: the first N samples of the committed demo written as a CSV
/// manifest, an ImageFolder tree, a COCO instances file and a Pascal VOC tree, all from the same pixels. COCO masks are
/// encoded as polygons (squares; crosses as two rectangles), box-only annotations (every other square), compressed RLE
/// strings (circles) and RLE count lists (triangles); every polygon and box is checked to rasterise to the demo's mask
/// exactly, else it falls back to a compressed RLE. VOC masks are palette PNGs (index = position in
/// <see cref="VocClasses"/>) and every other sample gets VOC's void border (255 on the background pixels touching the
/// object). VOC expects JPEGs: the demo's PNG bytes are written under the .jpg names so the pixels stay identical
/// (decoders read the content, not the extension).
/// </summary>
public static class FormatFixtures
{
    public static readonly string[] VocClasses = ["background", "circle", "square", "triangle", "cross"];

    /// <summary>COCO category ids: not contiguous, not in class order.</summary>
    public static readonly Dictionary<string, int> CategoryIds = new(StringComparer.Ordinal) { ["circle"] = 40, ["square"] = 7, ["triangle"] = 12, ["cross"] = 3 };

    public static FormatFixtureSet Write(string root, int count = 24)
    {
        string demo = Path.Combine(TestPaths.Configs, "demo");
        string[][] rows = File.ReadAllLines(Path.Combine(demo, "manifest.csv")).Skip(1).Where(l => l.Length > 0).Take(count).Select(l => l.Split(',')).ToArray();
        string csvDir = Dir(root, "csv"), images = Dir(root, "folder", "images"), masks = Dir(root, "folder", "masks");
        string cocoImages = Dir(root, "coco", "images"), voc = Dir(root, "voc");
        Dir(voc, "JPEGImages");
        Dir(voc, "SegmentationClass");
        Dir(voc, "ImageSets", "Segmentation");
        Dir(csvDir, "images");
        Dir(csvDir, "masks");
        var csv = new List<string> { "id,image,label,mask,group" };
        var cocoImageList = new JsonArray();
        var cocoAnnotations = new JsonArray();
        var encodings = new Dictionary<string, int>(StringComparer.Ordinal);
        var voided = new HashSet<string>(StringComparer.Ordinal);
        var vocIds = new List<string>();
        for (int i = 0; i < rows.Length; i++)
        {
            (string id, string image, string label, string mask, string group) = (rows[i][0], rows[i][1], rows[i][2], rows[i][3], rows[i][4]);
            byte[] imageBytes = File.ReadAllBytes(Path.Combine(demo, image));
            byte[] maskBytes = File.ReadAllBytes(Path.Combine(demo, mask));
            (byte[] binary, int w, int h) = ReadBinary(maskBytes);
            File.WriteAllBytes(Path.Combine(csvDir, image), imageBytes);
            File.WriteAllBytes(Path.Combine(csvDir, mask), maskBytes);
            csv.Add($"{id},{image},{label},{mask},{group}");
            Dir(images, label);
            Dir(masks, label);
            File.WriteAllBytes(Path.Combine(images, label, id + ".png"), imageBytes);
            File.WriteAllBytes(Path.Combine(masks, label, id + ".png"), maskBytes);

            File.WriteAllBytes(Path.Combine(cocoImages, id + ".png"), imageBytes);
            cocoImageList.Add(new JsonObject { ["id"] = i + 1, ["file_name"] = id + ".png", ["width"] = w, ["height"] = h });
            (JsonObject annotation, string kind) = CocoAnnotation(i + 1, CategoryIds[label], label, binary, w, h, i);
            cocoAnnotations.Add(annotation);
            encodings[kind] = encodings.GetValueOrDefault(kind) + 1;

            File.WriteAllBytes(Path.Combine(voc, "JPEGImages", id + ".jpg"), imageBytes);
            int index = Array.IndexOf(VocClasses, label);
            bool border = i % 2 == 1;
            if (border)
            {
                voided.Add(id);
            }
            File.WriteAllBytes(Path.Combine(voc, "SegmentationClass", id + ".png"), PngTestEncoder.Palette8(w, h, VocPlane(binary, w, h, index, border)));
            vocIds.Add(id);
        }
        string manifest = Path.Combine(csvDir, "manifest.csv");
        File.WriteAllLines(manifest, csv);
        var categories = new JsonArray(CategoryIds.OrderBy(kv => kv.Value).Select(kv => (JsonNode)new JsonObject { ["id"] = kv.Value, ["name"] = kv.Key, ["supercategory"] = "shape" }).ToArray());
        string annotations = Path.Combine(root, "coco", "instances.json");
        File.WriteAllText(annotations, new JsonObject { ["images"] = cocoImageList, ["annotations"] = cocoAnnotations, ["categories"] = categories }.ToJsonString());
        File.WriteAllLines(Path.Combine(voc, "ImageSets", "Segmentation", "val.txt"), vocIds);
        return new FormatFixtureSet(root, manifest, images, masks, annotations, cocoImages, voc, encodings, voided);
    }

    private static string Dir(params string[] parts)
    {
        string d = Path.Combine(parts);
        Directory.CreateDirectory(d);
        return d;
    }

    private static (byte[] Binary, int Width, int Height) ReadBinary(byte[] png)
    {
        using SKBitmap b = SKBitmap.Decode(png);
        using SKBitmap rgba = b.Copy(SKColorType.Rgba8888);
        byte[] px = rgba.GetPixelSpan().ToArray();
        return (Enumerable.Range(0, b.Width * b.Height).Select(p => (byte)((px[p * 4] | px[(p * 4) + 1] | px[(p * 4) + 2]) != 0 ? 1 : 0)).ToArray(), b.Width, b.Height);
    }

    private static byte[] VocPlane(byte[] binary, int w, int h, int index, bool border)
    {
        var plane = new byte[w * h];
        for (int p = 0; p < plane.Length; p++)
        {
            int x = p % w, y = p / w;
            bool touches = (x > 0 && binary[p - 1] != 0) || (x < w - 1 && binary[p + 1] != 0) || (y > 0 && binary[p - w] != 0) || (y < h - 1 && binary[p + w] != 0);
            plane[p] = binary[p] != 0 ? (byte)index : border && touches ? (byte)255 : (byte)0;
        }
        return plane;
    }

    private static (JsonObject Annotation, string Kind) CocoAnnotation(int id, int category, string label, byte[] binary, int w, int h, int i)
    {
        byte[] columnMajor = Enumerable.Range(0, w * h).Select(q => binary[(q % h * w) + (q / h)]).ToArray();
        int area = binary.Count(v => v != 0);
        var rows = Enumerable.Range(0, h).Where(y => Enumerable.Range(0, w).Any(x => binary[(y * w) + x] != 0)).ToArray();
        var cols = Enumerable.Range(0, w).Where(x => Enumerable.Range(0, h).Any(y => binary[(y * w) + x] != 0)).ToArray();
        double[] box = [cols.Min(), rows.Min(), cols.Max() - cols.Min() + 1, rows.Max() - rows.Min() + 1];
        var a = new JsonObject { ["id"] = 1000 + id, ["image_id"] = id, ["category_id"] = category, ["iscrowd"] = 0, ["area"] = area, ["bbox"] = new JsonArray(box.Select(v => (JsonNode)v).ToArray()) };
        IReadOnlyList<double[]>? polygons = label switch
        {
            "square" => [Rect(box)],
            "cross" => CrossBars(binary, w, h),
            _ => null,
        };
        bool boxOnly = label == "square" && i % 4 < 2;
        if (polygons != null && Same(new CocoShape(boxOnly ? null : polygons, null, null, boxOnly ? box : null), columnMajor, h, w))
        {
            if (!boxOnly)
            {
                a["segmentation"] = new JsonArray(polygons.Select(p => (JsonNode)new JsonArray(p.Select(v => (JsonNode)v).ToArray())).ToArray());
            }
            return (a, boxOnly ? "box" : "polygon");
        }
        long[] counts = CocoRle.Encode(columnMajor);
        bool asList = label == "triangle";
        a["segmentation"] = new JsonObject
        {
            ["size"] = new JsonArray(h, w),
            ["counts"] = asList ? new JsonArray(counts.Select(c => (JsonNode)c).ToArray()) : CocoRle.EncodeString(counts),
        };
        return (a, asList ? "rle-list" : "rle-string");
    }

    private static double[] Rect(double[] box) => [box[0], box[1], box[0] + box[2], box[1], box[0] + box[2], box[1] + box[3], box[0], box[1] + box[3]];

    /// <summary>The cross as its two bars: the bounding boxes of its widest rows and of its tallest columns.</summary>
    private static double[][] CrossBars(byte[] m, int w, int h)
    {
        int RowCount(int y) => Enumerable.Range(0, w).Count(x => m[(y * w) + x] != 0);
        int ColCount(int x) => Enumerable.Range(0, h).Count(y => m[(y * w) + x] != 0);
        int maxRow = Enumerable.Range(0, h).Max(RowCount), maxCol = Enumerable.Range(0, w).Max(ColCount);
        int[] wideRows = Enumerable.Range(0, h).Where(y => RowCount(y) == maxRow).ToArray();
        int[] tallCols = Enumerable.Range(0, w).Where(x => ColCount(x) == maxCol).ToArray();
        int[] wideCols = Enumerable.Range(0, w).Where(x => m[(wideRows[0] * w) + x] != 0).ToArray();
        int[] tallRows = Enumerable.Range(0, h).Where(y => m[(y * w) + tallCols[0]] != 0).ToArray();
        return
        [
            Rect([wideCols.Min(), wideRows.Min(), wideCols.Max() - wideCols.Min() + 1, wideRows.Max() - wideRows.Min() + 1]),
            Rect([tallCols.Min(), tallRows.Min(), tallCols.Max() - tallCols.Min() + 1, tallRows.Max() - tallRows.Min() + 1]),
        ];
    }

    private static bool Same(CocoShape shape, byte[] columnMajor, int h, int w) => shape.RasteriseColumnMajor(h, w).SequenceEqual(columnMajor);

    /// <summary>A dataset config (demo CNN, 64x64) for one of the formats; <paramref name="dataset"/> is the JSON members of the dataset section.</summary>
    public static string Config(string dir, string name, string dataset, string output)
    {
        static string J(string s) => System.Text.Json.JsonSerializer.Serialize(s);
        string path = Path.Combine(dir, name + ".json");
        File.WriteAllText(path, $$"""
        {
          "name": {{J(name)}},
          "dataset": { {{dataset}}, "classes": ["circle", "square", "triangle", "cross"] },
          "model": { "architecture": "demo-cnn", "weights": {{J(TestDatasets.DemoWeights)}}, "numClasses": 4, "inputSize": [64, 64], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5] },
          "audit": { "device": "cpu", "pointingTolerancePx": 4, "threads": 2, "batchSize": 8 },
          "explain": { "metrics": ["energy_in_mask", "energy_lift", "pointing_hit", "iou_top", "relevance_rank_accuracy", "topk_intersection", "auc", "wsl_iou"] },
          "output": { "directory": {{J(output)}} }
        }
        """);
        return path;
    }

    public static string J(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
