namespace GradCamAudit.Data.Masks;

/// <summary>
/// One COCO segmentation, as the annotation file gives it: polygons (each x0,y0,x1,y1,... in pixels), an RLE (counts
/// as a list, or COCO's compressed string), or only a box [x, y, width, height].
/// </summary>
public sealed record CocoShape(IReadOnlyList<double[]>? Polygons, IReadOnlyList<long>? Counts, string? CompressedCounts, double[]? Box)
{
    /// <summary>The shape rasterised at (height, width), column-major as COCO's RLEs are, 1 inside.</summary>
    public byte[] RasteriseColumnMajor(int height, int width)
    {
        if (Counts != null)
        {
            return CocoRle.Decode(Counts, height, width);
        }
        if (CompressedCounts != null)
        {
            return CocoRle.Decode(CocoRle.DecodeString(CompressedCounts), height, width);
        }
        var mask = new byte[height * width];
        IEnumerable<double[]> polygons = Polygons ?? (Box is { Length: 4 } b ? [CocoPolygon.BoxPolygon(b)] : []);
        foreach (double[] polygon in polygons)
        {
            byte[] part = CocoPolygon.Rasterise(polygon, height, width);
            for (int i = 0; i < mask.Length; i++)
            {
                mask[i] |= part[i];
            }
        }
        return mask;
    }
}
