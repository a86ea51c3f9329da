namespace GradCamAudit.Options;

/// <summary>
/// Where and how samples are read (the <c>dataset.*</c> keys besides the manifest and the classes): the format
/// (<c>csv</c>, <c>imagefolder</c>, <c>coco</c>, <c>voc</c>), its roots and files (absolute paths), how mask files
/// are read, and the COCO/VOC policies. See the README's "Dataset formats".
/// </summary>
public sealed record DatasetSource(
    string Format,
    string? Images,
    string? Masks,
    string? Annotations,
    string? Root,
    string Split,
    string MaskExtension,
    string MaskEncoding,
    int? MaskIndex,
    string Crowd,
    string Unannotated,
    string Sampling,
    bool IgnoreUnknownCategories,
    IReadOnlyList<string>? VocClasses,
    bool ExifOrientation,
    string VocRegions = "segmentation",
    string VocDifficult = "void")
{
    public static readonly string[] Formats = ["csv", "imagefolder", "coco", "voc"];
    public static readonly string[] MaskEncodings = ["nonzero", "palette-index", "alpha"];
    public static readonly string[] CrowdPolicies = ["object", "ignore"];
    public static readonly string[] UnannotatedPolicies = ["error", "skip"];
    public static readonly string[] SamplingPolicies = ["largest", "per-category"];

    /// <summary><c>dataset.vocRegions</c>: the segmentation PNGs (<c>SegmentationClass</c>) or the boxes of <c>Annotations/&lt;id&gt;.xml</c>.</summary>
    public static readonly string[] VocRegionKinds = ["segmentation", "boxes"];

    /// <summary><c>dataset.vocDifficult</c> (boxes): a <c>difficult</c> object is void (neither object nor background), object, or ignored (as if not annotated).</summary>
    public static readonly string[] VocDifficultPolicies = ["void", "object", "ignore"];

    /// <summary>The folder under <c>ImageSets</c> whose <c>&lt;split&gt;.txt</c> lists the VOC ids: Segmentation, or Main for boxes.</summary>
    public string VocListFolder => VocRegions == "boxes" ? "Main" : "Segmentation";

    /// <summary>The 21 names of Pascal VOC 2012's SegmentationClass indices, background first.</summary>
    public static IReadOnlyList<string> Voc2012Classes { get; } =
    [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    /// <summary>Today's defaults: a CSV manifest with binary (non-zero) mask files.</summary>
    public static DatasetSource Csv { get; } = new("csv", null, null, null, null, "val", ".png", "nonzero", null, "object", "error", "largest", false, null, false);

    /// <summary>VOC index → name (the configured list, else VOC 2012's).</summary>
    public IReadOnlyList<string> VocNames => VocClasses ?? Voc2012Classes;
}
