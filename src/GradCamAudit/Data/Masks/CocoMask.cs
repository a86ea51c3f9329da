namespace GradCamAudit.Data.Masks;

/// <summary>
/// A mask made from COCO annotations of one image: the union of <paramref name="objects"/> is the object, the union of
/// <paramref name="voids"/> (crowd regions under <c>dataset.crowd = ignore</c>) is void where it is not object.
/// The description is <c>coco:&lt;id&gt;,&lt;id&gt;</c>, the annotation ids used.
/// </summary>
public sealed class CocoMask(string description, IReadOnlyList<CocoShape> objects, IReadOnlyList<CocoShape> voids, int width, int height) : MaskLocator(description)
{
    public override string Source => MaskSources.Coco;

    public override MaskPlanes Load(long maxPixels)
    {
        if ((long)width * height > maxPixels)
        {
            throw new SampleException(ReasonCodes.ImageTooLarge, $"mask is {width}x{height}, over audit.maxImagePixels = {maxPixels:N0}: {Description}");
        }
        try
        {
            byte[] obj = Union(objects);
            byte[] vo = Union(voids);
            return MaskPlanes.From(width, height, p =>
            {
                int cm = (p % width * height) + (p / width);
                return obj[cm] != 0 ? 1 : vo[cm] != 0 ? 2 : 0;
            });
        }
        catch (InvalidDataException ex)
        {
            throw new SampleException(ReasonCodes.MaskCorrupt, $"annotation cannot be rasterised ({ex.Message}): {Description}");
        }
    }

    public override (int Width, int Height) ReadSize() => (width, height);

    public override (int Width, int Height)? DeclaredSize => (width, height);

    /// <summary>Why one of the shapes cannot be rasterised at the declared size (checked from numbers alone), or null.</summary>
    public string? Problem() =>
        objects.Concat(voids).Select(s => s.Problem(height, width)).FirstOrDefault(p => p != null) is string p ? $"annotation cannot be rasterised ({p}): {Description}" : null;

    private byte[] Union(IReadOnlyList<CocoShape> shapes)
    {
        var union = new byte[(long)width * height];
        foreach (CocoShape s in shapes)
        {
            s.RasteriseInto(union, height, width);
        }
        return union;
    }
}
