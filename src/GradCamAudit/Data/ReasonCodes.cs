namespace GradCamAudit.Data;

/// <summary>
/// The fixed list of reasons a manifest row can land in errors.csv instead of the results.
/// Documented in the README; later stages may add codes but never rename these.
/// </summary>
public static class ReasonCodes
{
    /// <summary>The image file does not exist.</summary>
    public const string ImageMissing = "image_missing";

    /// <summary>The image file exists but cannot be decoded (corrupt, truncated, not an image).</summary>
    public const string ImageCorrupt = "image_corrupt";

    /// <summary>The mask file does not exist.</summary>
    public const string MaskMissing = "mask_missing";

    /// <summary>The mask file exists but cannot be decoded.</summary>
    public const string MaskCorrupt = "mask_corrupt";

    /// <summary>The mask's width and height differ from the image's.</summary>
    public const string MaskSizeMismatch = "mask_size_mismatch";

    /// <summary>The label is neither a class name nor a valid class index.</summary>
    public const string UnknownLabel = "unknown_label";

    /// <summary>The sample id was already used by an earlier row (the earlier row is kept).</summary>
    public const string DuplicateId = "duplicate_id";

    /// <summary>A required field (image, label or mask) is empty, or the row has the wrong number of fields.</summary>
    public const string MalformedRow = "malformed_row";

    /// <summary>The path points outside the manifest's folder tree or is not a valid path.</summary>
    public const string InvalidPath = "invalid_path";

    /// <summary>The image's header declares more pixels than <c>audit.maxImagePixels</c> (refused before any allocation).</summary>
    public const string ImageTooLarge = "image_too_large";

    /// <summary>The model gave non-finite logits or maps for the sample (never written to the results).</summary>
    public const string NonFiniteOutput = "non_finite_output";

    /// <summary>A COCO or VOC image with no annotation of a known category (<c>dataset.unannotated = error</c>).</summary>
    public const string NoAnnotation = "no_annotation";

    /// <summary>A box (CSV <c>box</c> field, VOC <c>bndbox</c>) is malformed, negative, overflowing, too many, or covers no pixel of the image.</summary>
    public const string BoxInvalid = "box_invalid";

    /// <summary>A VOC annotation XML is refused: over the size cap, a DTD, too many objects, or not well-formed.</summary>
    public const string AnnotationInvalid = "annotation_invalid";

    /// <summary>Transient I/O failure that persisted after retries.</summary>
    public const string IoError = "io_error";

    /// <summary>All codes, in documentation order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [ImageMissing, ImageCorrupt, MaskMissing, MaskCorrupt, MaskSizeMismatch, UnknownLabel, DuplicateId, MalformedRow, InvalidPath, IoError, ImageTooLarge, NonFiniteOutput, NoAnnotation, BoxInvalid, AnnotationInvalid];
}

/// <summary>A sample that cannot be audited, with its fixed reason code and a human-readable detail.</summary>
public sealed class SampleException(string reasonCode, string detail) : Exception(detail)
{
    public string ReasonCode { get; } = reasonCode;
}
