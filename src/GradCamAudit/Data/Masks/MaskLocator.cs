namespace GradCamAudit.Data.Masks;

/// <summary>
/// Where a sample's mask comes from and how to read it: a mask file under an encoding, COCO annotations, a VOC
/// class index. <see cref="Description"/> is what the results' <c>mask</c> column records (the file's path relative
/// to its root, <c>coco:&lt;id&gt;,&lt;id&gt;</c>, <c>voc:&lt;path&gt;#&lt;index&gt;</c>). Reading throws
/// <see cref="SampleException"/> with the mask's reason codes.
/// </summary>
public abstract class MaskLocator(string description)
{
    public string Description => description;

    /// <summary>
    /// What kind of region this is, for the results' <c>mask_source</c> column: one of <see cref="MaskSources.All"/>
    /// (<c>file</c>, <c>box</c>, <c>coco</c>, <c>voc</c>, <c>none</c>).
    /// </summary>
    public abstract string Source { get; }

    /// <summary>
    /// True when the region is drawn at the image's own size (boxes, no mask): it has no size of its own to check, and is
    /// read by <see cref="LoadAt"/> once the image's size is known.
    /// </summary>
    public virtual bool FollowsImage => false;

    /// <summary>The planes for an image of (<paramref name="imageWidth"/>, <paramref name="imageHeight"/>), as audited (oriented). Default: <see cref="Load"/>.</summary>
    public virtual MaskPlanes LoadAt(int imageWidth, int imageHeight, long maxPixels) => Load(maxPixels);

    /// <summary>Why the region cannot be drawn on an image of that size (from numbers alone, for <c>validate</c>), or null.</summary>
    public virtual SampleException? ProblemAt(int imageWidth, int imageHeight) => null;

    /// <summary>The planes at the source resolution (pixels decoded).</summary>
    public abstract MaskPlanes Load(long maxPixels);

    /// <summary>The mask's width and height from its header alone (validate decodes no pixels).</summary>
    public abstract (int Width, int Height) ReadSize();

    /// <summary>
    /// The size the source declares without reading any file (a COCO image's width and height), checked against the
    /// image before <see cref="Load"/> rasterises anything; null for mask files, whose decode reads the size anyway.
    /// </summary>
    public virtual (int Width, int Height)? DeclaredSize => null;
}
