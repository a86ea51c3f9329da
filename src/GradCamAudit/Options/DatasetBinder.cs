namespace GradCamAudit.Options;

/// <summary>
/// Binds the <c>dataset</c> keys that choose and describe the sample source (every key is read whatever the format,
/// so unknown keys and the JSON schema stay checkable); each format's required keys are checked here, the files'
/// contents (categories, class folders) when the source opens.
/// </summary>
internal static class DatasetBinder
{
    public static DatasetSource Bind(JsonSection ds, string baseDir, List<string> errors)
    {
        string format = ds.String("format", "csv");
        bool Needs(params string[] formats) => formats.Contains(format);
        string? images = ds.Path("images", baseDir, mustExist: true, required: Needs("imagefolder", "coco"));
        string? masks = ds.Path("masks", baseDir, mustExist: true, required: false); // imagefolder without masks: every sample mask_source none
        string? annotations = ds.Path("annotations", baseDir, mustExist: true, required: Needs("coco"));
        string? root = ds.Path("root", baseDir, mustExist: true, required: Needs("voc"));
        string split = ds.String("split", "val");
        string maskExtension = ds.String("maskExtension", ".png");
        string encoding = ds.String("maskEncoding", "nonzero");
        int? maskIndex = ds.OptionalInt("maskIndex", 0, 65535);
        string crowd = ds.String("crowd", "object");
        string unannotated = ds.String("unannotated", "error");
        string sampling = ds.String("sampling", "largest");
        bool ignoreUnknown = ds.Bool("ignoreUnknownCategories", false);
        IReadOnlyList<string>? vocClasses = ds.StringList("vocClasses");
        bool exif = ds.Bool("exifOrientation", false);
        string vocRegions = ds.String("vocRegions", "segmentation");
        string vocDifficult = ds.String("vocDifficult", "void");
        void OneOf(string key, string value, string[] allowed)
        {
            if (!allowed.Contains(value))
            {
                errors.Add($"dataset.{key}: '{value}' is not one of {string.Join(", ", allowed)}");
            }
        }
        OneOf("format", format, DatasetSource.Formats);
        OneOf("maskEncoding", encoding, DatasetSource.MaskEncodings);
        OneOf("crowd", crowd, DatasetSource.CrowdPolicies);
        OneOf("unannotated", unannotated, DatasetSource.UnannotatedPolicies);
        OneOf("sampling", sampling, DatasetSource.SamplingPolicies);
        OneOf("vocRegions", vocRegions, DatasetSource.VocRegionKinds);
        OneOf("vocDifficult", vocDifficult, DatasetSource.VocDifficultPolicies);
        if (format != "voc" && (vocRegions != "segmentation" || vocDifficult != "void"))
        {
            errors.Add($"dataset.{(vocRegions != "segmentation" ? "vocRegions" : "vocDifficult")}: only used by format 'voc', not '{format}'");
        }
        if (format == "voc" && vocRegions != "boxes" && vocDifficult != "void")
        {
            errors.Add("dataset.vocDifficult: applies to dataset.vocRegions = boxes (segmentation PNGs mark difficult objects void themselves, index 255)");
        }
        string listFolder = vocRegions == "boxes" ? "Main" : "Segmentation";
        if (!maskExtension.StartsWith('.') || maskExtension.Length < 2 || maskExtension.IndexOfAny(['/', '\\']) >= 0)
        {
            errors.Add($"dataset.maskExtension: '{maskExtension}' must be an extension such as .png");
        }
        if (split.Length == 0 || split.IndexOfAny(['/', '\\']) >= 0 || split.Contains("..", StringComparison.Ordinal))
        {
            errors.Add($"dataset.split: '{split}' must name a list under ImageSets/{listFolder} (no path separators)");
        }
        else if (format == "voc" && root != null && Directory.Exists(root) && !File.Exists(Path.Combine(root, "ImageSets", listFolder, split + ".txt")))
        {
            errors.Add($"dataset.split: '{Path.Combine("ImageSets", listFolder, split + ".txt")}' not found under dataset.root '{root}' (dataset.vocRegions {vocRegions})");
        }
        if (vocClasses is { Count: 0 } || (vocClasses != null && vocClasses.Distinct(StringComparer.Ordinal).Count() != vocClasses.Count))
        {
            errors.Add("dataset.vocClasses: give the index-to-name list (index 0 is background), each name once");
        }
        if (vocClasses is { Count: > 255 })
        {
            errors.Add($"dataset.vocClasses: {vocClasses.Count} names, but index 255 is void: at most 255");
        }
        if (encoding == "palette-index" && format is "coco" or "voc")
        {
            errors.Add($"dataset.maskEncoding: palette-index applies to mask files of csv and imagefolder; {format} masks are read by their own rule");
        }
        foreach ((string key, string? value, string[] formats) in new[] { ("images", images, new[] { "imagefolder", "coco" }), ("masks", masks, ["imagefolder"]), ("annotations", annotations, ["coco"]), ("root", root, ["voc"]) })
        {
            if (value != null && DatasetSource.Formats.Contains(format) && !formats.Contains(format))
            {
                errors.Add($"dataset.{key}: not used by format '{format}' (only by {string.Join(", ", formats)})");
            }
        }
        foreach ((string key, string? value) in new[] { ("images", images), ("masks", masks), ("root", root) })
        {
            if (value != null && File.Exists(value))
            {
                errors.Add($"dataset.{key}: '{value}' is a file; expected a folder");
            }
        }
        return new DatasetSource(format, images, masks, annotations, root, split, maskExtension, encoding, maskIndex, crowd, unannotated, sampling, ignoreUnknown, vocClasses, exif, vocRegions, vocDifficult);
    }
}
