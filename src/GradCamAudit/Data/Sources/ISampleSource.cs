using GradCamAudit.Data.Masks;

namespace GradCamAudit.Data.Sources;

/// <summary>
/// A dataset as a stream of samples, whatever its layout (<c>dataset.format</c>): each with a stable sample id and a
/// 1-based row (the order is part of the contract: shards, resume and errors.csv depend on it), the image path, the
/// resolved label, how to read the mask (a <see cref="MaskLocator"/>) and pass-through fields. Problems of one
/// sample are error entries with a reason code, never exceptions; problems of the whole dataset (unknown
/// categories, a bad header) are one <see cref="Options.ConfigException"/> when the source opens.
/// </summary>
public interface ISampleSource
{
    /// <summary>csv, imagefolder, coco or voc.</summary>
    string Format { get; }

    /// <summary>The file that stands for the dataset in run.json (manifest, annotations, split list, or the images root).</summary>
    string Identity { get; }

    /// <summary>The folder the results' <c>image</c> paths are relative to.</summary>
    string ImageRoot { get; }

    /// <summary>Columns passed through to the results as strings.</summary>
    IReadOnlyList<string> ExtraColumns { get; }

    /// <summary>Samples skipped by policy (<c>dataset.unannotated = skip</c>) in the last full enumeration: counted in run.json.</summary>
    long Skipped { get; }

    /// <summary>SHA-256 (hex) of what defines the samples: resume and merge check it.</summary>
    string Fingerprint();

    /// <summary>The number of rows (for progress), without decoding anything the source need not.</summary>
    long CountRows();

    /// <summary>The first <paramref name="limit"/> rows (all when null), in row order.</summary>
    IEnumerable<ManifestEntry> Read(long? limit = null);

    /// <summary>The locator behind a results row's <c>mask</c> value (for the report), or null when it cannot be rebuilt.</summary>
    MaskLocator? Locate(string maskDescription, int label);
}
