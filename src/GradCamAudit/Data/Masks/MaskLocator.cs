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
