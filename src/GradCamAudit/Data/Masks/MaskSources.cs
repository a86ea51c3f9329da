namespace GradCamAudit.Data.Masks;

/// <summary>The values of the results' <c>mask_source</c> column: where a sample's object region came from.</summary>
public static class MaskSources
{
    /// <summary>A mask file (CSV <c>mask</c> column, ImageFolder's <c>dataset.masks</c>).</summary>
    public const string File = "file";

    /// <summary>Axis-aligned boxes (CSV <c>box</c> column, VOC <c>Annotations/&lt;id&gt;.xml</c> under <c>dataset.vocRegions = boxes</c>).</summary>
    public const string Box = "box";

    /// <summary>COCO annotations (polygons, RLE or a bbox alone).</summary>
    public const string Coco = "coco";

    /// <summary>A VOC segmentation PNG (<c>SegmentationClass/&lt;id&gt;.png</c>).</summary>
    public const string Voc = "voc";

    /// <summary>No region: the sample is audited, its mask metrics and mask-based findings are null (<c>no_mask</c>).</summary>
    public const string None = "none";

    /// <summary>Every value, in the order reports list them.</summary>
    public static IReadOnlyList<string> All { get; } = [File, Box, Coco, Voc, None];
}
