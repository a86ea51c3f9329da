using System.Globalization;
using System.Text;
using SkiaSharp;

namespace GradCamAudit.Tests.Data;

/// <summary>What <see cref="BoxFixtures.Write"/> wrote: four datasets of the same demo samples and their boxes.</summary>
/// <param name="MaskManifest">the demo's own masks (CSV <c>mask</c>)</param>
/// <param name="BoxManifest">the bounding box of each mask as a CSV <c>box</c> field (some split in two overlapping boxes, some with fractional edges that cover the same pixel centres)</param>
/// <param name="BoxPngManifest">the same boxes as mask PNG files (CSV <c>mask</c>): the reference the box readers must equal</param>
/// <param name="VocRoot">a VOC tree with <c>Annotations/&lt;id&gt;.xml</c> (the box of the sample's class, a small box of another class, on some a difficult box) and <c>ImageSets/Main/val.txt</c></param>
/// <param name="Bounds">each sample's mask bounding box, pixels [X0, X1) x [Y0, Y1)</param>
public sealed record BoxFixtureSet(string MaskManifest, string BoxManifest, string BoxPngManifest, string VocRoot, IReadOnlyDictionary<string, (int X0, int Y0, int X1, int Y1)> Bounds);

/// <summary>
/// Boxes derived from the demo's masks: the bounding box of each mask (pixels [x0, x1) x [y0, y1)), written as a CSV box
/// manifest, as mask PNGs of the boxes, and as Pascal VOC annotations (1-based inclusive bndbox), over the same images.
/// </summary>
public static class BoxFixtures
{
    public static readonly string[] VocClasses = ["background", "circle", "square", "triangle", "cross"];

    public static BoxFixtureSet Write(string dir, int rows)
    {
        string maskManifest = TestDatasets.DemoSubset(dir, rows);
        string data = Path.GetDirectoryName(maskManifest)!;
        Directory.CreateDirectory(Path.Combine(data, "boxmasks"));
        string voc = Path.Combine(dir, "voc");
        foreach (string sub in new[] { "JPEGImages", "Annotations", Path.Combine("ImageSets", "Main") })
        {
            Directory.CreateDirectory(Path.Combine(voc, sub));
        }
        string[] lines = File.ReadAllLines(maskManifest);
        var boxLines = new List<string> { "id,image,label,box,group,marker" };
        var pngLines = new List<string> { lines[0] };
        var ids = new List<string>();
        var bounds = new Dictionary<string, (int, int, int, int)>(StringComparer.Ordinal);
        for (int r = 1; r < lines.Length; r++)
        {
            string[] f = lines[r].Split(',');
            (string id, string image, string label, string mask) = (f[0], f[1], f[2], f[3]);
            (byte[] binary, int w, int h) = ReadBinary(File.ReadAllBytes(Path.Combine(data, mask)));
            (int x0, int y0, int x1, int y1) = Bounds(binary, w, h);
            bounds[id] = (x0, y0, x1, y1);
            int bw = x1 - x0, bh = y1 - y0;
            string box = (r % 3) switch
            {
                // Two overlapping halves: their union is the whole box.
                1 when bw >= 2 => Inv($"{x0},{y0},{(bw / 2) + 1},{bh};{x0 + (bw / 2)},{y0},{bw - (bw / 2)},{bh}"),
                // Edges 0.4 px outside the integer ones: the same pixel centres lie inside.
                2 => Inv($"{Math.Max(0, x0 - 0.4):R},{Math.Max(0, y0 - 0.4):R},{x1 + 0.4 - Math.Max(0, x0 - 0.4):R},{y1 + 0.4 - Math.Max(0, y0 - 0.4):R}"),
                _ => Inv($"{x0},{y0},{bw},{bh}"),
            };
            boxLines.Add($"{id},{image},{label},\"{box}\",{f[4]},{f[5]}");
            var plane = new ushort[w * h];
            for (int y = y0; y < y1; y++)
            {
                for (int x = x0; x < x1; x++)
                {
                    plane[(y * w) + x] = 255;
                }
            }
            string boxMask = $"boxmasks/{id}.png";
            File.WriteAllBytes(Path.Combine(data, boxMask), PngTestEncoder.Encode(w, h, 0, 8, plane));
            pngLines.Add($"{id},{image},{label},{boxMask},{f[4]},{f[5]}");

            File.Copy(Path.Combine(data, image), Path.Combine(voc, "JPEGImages", id + ".jpg"), overwrite: true);
            var xml = new StringBuilder();
            xml.Append(CultureInfo.InvariantCulture, $"<annotation><filename>{id}.jpg</filename><size><width>{w}</width><height>{h}</height><depth>3</depth></size>");
            xml.Append(CultureInfo.InvariantCulture, $"<object><name>{label}</name><truncated>{r % 2}</truncated><difficult>0</difficult><bndbox><xmin>{x0 + 1}</xmin><ymin>{y0 + 1}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>");
            // A small object of another class (never chosen by "largest"), and on every fourth sample a difficult object of its own class (void by default).
            string other = VocClasses[1 + ((Array.IndexOf(VocClasses, label) + 0) % 4)];
            xml.Append(CultureInfo.InvariantCulture, $"<object><name>{other}</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>");
            if (r % 4 == 0)
            {
                xml.Append(CultureInfo.InvariantCulture, $"<object><name>{label}</name><difficult>1</difficult><bndbox><xmin>{w - 3}</xmin><ymin>{h - 3}</ymin><xmax>{w}</xmax><ymax>{h}</ymax></bndbox></object>");
            }
            xml.Append("</annotation>");
            File.WriteAllText(Path.Combine(voc, "Annotations", id + ".xml"), xml.ToString());
            ids.Add(id);
        }
        string boxManifest = Path.Combine(data, "boxes.csv"), pngManifest = Path.Combine(data, "boxmasks.csv");
        File.WriteAllLines(boxManifest, boxLines);
        File.WriteAllLines(pngManifest, pngLines);
        File.WriteAllLines(Path.Combine(voc, "ImageSets", "Main", "val.txt"), ids);
        return new BoxFixtureSet(maskManifest, boxManifest, pngManifest, voc, bounds);
    }

    /// <summary>A demo-CNN config over a VOC box tree (<paramref name="extra"/>: more dataset members).</summary>
    public static string VocConfig(string dir, string root, string output, string extra = "")
    {
        static string J(string s) => System.Text.Json.JsonSerializer.Serialize(s);
        string path = Path.Combine(dir, "voc-config.json");
        File.WriteAllText(path, $$"""
        {
          "name": "voc-boxes",
          "dataset": { "format": "voc", "root": {{J(root)}}, "vocRegions": "boxes", "vocClasses": [{{string.Join(", ", VocClasses.Select(J))}}], "classes": [{{string.Join(", ", TestDatasets.DemoClasses.Select(J))}}]{{(extra.Length > 0 ? ", " + extra : "")}} },
          "model": { "architecture": "demo-cnn", "weights": {{J(TestDatasets.DemoWeights)}}, "numClasses": 4, "inputSize": [64, 64], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5] },
          "audit": { "device": "cpu", "pointingTolerancePx": 4 },
          "output": { "directory": {{J(output)}} }
        }
        """);
        return path;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static (int, int, int, int) Bounds(byte[] binary, int w, int h)
    {
        int x0 = w, y0 = h, x1 = 0, y1 = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (binary[(y * w) + x] != 0)
                {
                    (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x + 1), Math.Max(y1, y + 1));
                }
            }
        }
        return (x0, y0, x1, y1);
    }

    private static (byte[] Binary, int Width, int Height) ReadBinary(byte[] png)
    {
        using SKBitmap b = SKBitmap.Decode(png);
        using SKBitmap rgba = b.Copy(SKColorType.Rgba8888);
        byte[] px = rgba.GetPixelSpan().ToArray();
        return (Enumerable.Range(0, b.Width * b.Height).Select(p => (byte)((px[p * 4] | px[(p * 4) + 1] | px[(p * 4) + 2]) != 0 ? 1 : 0)).ToArray(), b.Width, b.Height);
    }
}
