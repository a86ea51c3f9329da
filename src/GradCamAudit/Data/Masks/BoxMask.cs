namespace GradCamAudit.Data.Masks;

/// <summary>
/// An object region made of boxes (<see cref="PixelBox"/>'s centre rule), drawn at the image's own size once it is known:
/// the union of <paramref name="objects"/> is the object; the union of <paramref name="voids"/> (VOC <c>difficult</c>
/// objects under <c>dataset.vocDifficult = void</c>) is void where it is not object. A box that covers no pixel centre
/// of the image (it lies outside, or is thinner than a pixel between two centres) is refused as <c>box_invalid</c>,
/// so a region never turns empty silently.
/// </summary>
public sealed class BoxMask(string description, IReadOnlyList<PixelBox> objects, IReadOnlyList<PixelBox>? voids = null, (int Width, int Height)? declared = null)
    : MaskLocator(description)
{
    /// <summary>The image size the annotation declares (VOC's <c>&lt;size&gt;</c>), checked against the image; null for CSV boxes.</summary>
    public override (int Width, int Height)? DeclaredSize => declared;

    private readonly IReadOnlyList<PixelBox> voids = voids ?? [];

    public IReadOnlyList<PixelBox> Objects => objects;

    public IReadOnlyList<PixelBox> Voids => voids;

    public override string Source => MaskSources.Box;

    public override bool FollowsImage => true;

    public override SampleException? ProblemAt(int imageWidth, int imageHeight) =>
        objects.Concat(voids).Where(b => !b.CoversAny(imageWidth, imageHeight)).Select(b => new SampleException(ReasonCodes.BoxInvalid,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"box {b.X:G6},{b.Y:G6},{b.W:G6},{b.H:G6} covers no pixel centre of the {imageWidth}x{imageHeight} image: {Description}"))).FirstOrDefault();

    public override MaskPlanes LoadAt(int imageWidth, int imageHeight, long maxPixels)
    {
        if ((long)imageWidth * imageHeight > maxPixels)
        {
            throw new SampleException(ReasonCodes.ImageTooLarge, $"image is {imageWidth}x{imageHeight}, over audit.maxImagePixels = {maxPixels:N0}: {Description}");
        }
        if (ProblemAt(imageWidth, imageHeight) is SampleException problem)
        {
            throw problem;
        }
        byte[] obj = PixelBox.Rasterise(objects, imageWidth, imageHeight);
        byte[]? vo = voids.Count == 0 ? null : PixelBox.Rasterise(voids, imageWidth, imageHeight);
        return MaskPlanes.From(imageWidth, imageHeight, p => obj[p] != 0 ? 1 : vo != null && vo[p] != 0 ? 2 : 0);
    }

    public override MaskPlanes Load(long maxPixels) => throw new InvalidOperationException("boxes are drawn at the image's size: use LoadAt");

    public override (int Width, int Height) ReadSize() => throw new InvalidOperationException("boxes have no size of their own");
}
