namespace GradCamAudit.Data.Masks;

/// <summary>
/// One COCO segmentation, as the annotation file gives it: polygons (each x0,y0,x1,y1,... in pixels), an RLE (counts
/// as a list, or COCO's compressed string), or only a box [x, y, width, height].
/// </summary>
public sealed record CocoShape(IReadOnlyList<double[]>? Polygons, IReadOnlyList<long>? Counts, string? CompressedCounts, double[]? Box)
{
    /// <summary>
    /// How far outside the image a polygon vertex or box corner may lie, in image sizes (annotation tools leave
    /// vertices a little outside; a vertex at 1e10 would make the rasteriser walk 5e10 steps).
    /// </summary>
    public const double MaxOutside = 1.0;

    /// <summary>The shape rasterised at (height, width), column-major as COCO's RLEs are, 1 inside.</summary>
    public byte[] RasteriseColumnMajor(int height, int width)
    {
        var mask = new byte[(long)height * width];
        RasteriseInto(mask, height, width);
        return mask;
    }

    /// <summary>
    /// ORs the shape into a column-major height x width mask. Polygons cost their edges' length plus the pixels they
    /// cover, never height x width each (thousands of polygons over a large image stay cheap).
    /// </summary>
    public void RasteriseInto(byte[] columnMajor, int height, int width)
    {
        if (Problem(height, width) is string problem)
        {
            throw new InvalidDataException(problem);
        }
        if (Counts != null || CompressedCounts != null)
        {
            byte[] rle = CocoRle.Decode(Counts ?? CocoRle.DecodeString(CompressedCounts!), height, width);
            for (int i = 0; i < rle.Length; i++)
            {
                columnMajor[i] |= rle[i];
            }
            return;
        }
        IEnumerable<double[]> polygons = Polygons ?? (Box is { Length: 4 } b ? [CocoPolygon.BoxPolygon(b)] : []);
        foreach (double[] polygon in polygons)
        {
            CocoPolygon.RasteriseInto(polygon, height, width, columnMajor);
        }
    }

    /// <summary>
    /// Why the shape cannot be rasterised at (height, width), from its numbers alone (no pixel allocated), or null:
    /// RLE counts that are negative or do not sum to the pixel count (checked without overflow), a compressed string
    /// that does not decode, polygon vertices or box corners that are not finite or lie more than
    /// <see cref="MaxOutside"/> image sizes outside the image, a box of negative size.
    /// </summary>
    public string? Problem(int height, int width)
    {
        if (Counts != null)
        {
            return CocoRle.Problem(Counts, height, width);
        }
        if (CompressedCounts != null)
        {
            try
            {
                return CocoRle.Problem(CocoRle.DecodeString(CompressedCounts), height, width);
            }
            catch (InvalidDataException ex)
            {
                return ex.Message;
            }
        }
        if (Polygons == null && Box is { Length: 4 } box && (!(box[2] >= 0) || !(box[3] >= 0)))
        {
            return $"bbox [{string.Join(", ", box.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}] has a negative or non-finite size";
        }
        IEnumerable<double[]> polygons = Polygons ?? (Box is { Length: 4 } b ? [CocoPolygon.BoxPolygon(b)] : []);
        foreach (double[] polygon in polygons)
        {
            for (int j = 0; j + 1 < polygon.Length; j += 2)
            {
                double x = polygon[j], y = polygon[j + 1];
                if (!double.IsFinite(x) || !double.IsFinite(y) || x < -MaxOutside * width || x > (1 + MaxOutside) * width || y < -MaxOutside * height || y > (1 + MaxOutside) * height)
                {
                    string what = Polygons == null ? "bbox corner" : "polygon vertex";
                    return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} ({x:G6}, {y:G6}) lies outside the {width}x{height} image by more than its size");
                }
            }
        }
        return null;
    }
}
