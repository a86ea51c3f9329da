using CsvHelper;

namespace GradCamAudit.Data;

/// <summary>
/// Streams a CSV manifest (header <c>image,label,mask</c>, optional <c>id</c>, any other columns passed through).
/// Rows are resolved one at a time, so the manifest is never held in memory; per-row problems (unknown label,
/// duplicate id, empty field, path escaping the manifest folder) become error entries, never exceptions.
/// </summary>
public sealed class ManifestReader
{
    private static readonly string[] Required = ["image", "label", "mask"];

    private readonly string manifestPath;
    private readonly string root;
    private readonly LabelResolver labels;

    public ManifestReader(string manifestPath, IReadOnlyList<string> classes)
    {
        this.manifestPath = Path.GetFullPath(manifestPath);
        root = Path.GetDirectoryName(this.manifestPath)!;
        labels = new LabelResolver(classes);
        using var reader = Open(out _);
        Headers = ReadHeaders(reader);
        var missing = Required.Where(r => !Headers.Contains(r, StringComparer.Ordinal)).ToArray();
        if (missing.Length > 0)
        {
            throw new Options.ConfigException($"dataset.manifest: '{manifestPath}' lacks the column(s) {string.Join(", ", missing)} (header must contain image,label,mask; optional id)");
        }
        ExtraColumns = Headers.Where(h => h != "id" && !Required.Contains(h)).ToArray();
    }

    /// <summary>All header names, as written.</summary>
    public IReadOnlyList<string> Headers { get; }

    /// <summary>Columns passed through to the results as strings.</summary>
    public IReadOnlyList<string> ExtraColumns { get; }

    /// <summary>Enumerates the first <paramref name="limit"/> data rows (all when null).</summary>
    public IEnumerable<ManifestEntry> Read(long? limit = null)
    {
        using var reader = Open(out _);
        var index = Headers.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => x.i, StringComparer.Ordinal);
        int idCol = index.GetValueOrDefault("id", -1);
        int[] extra = ExtraColumns.Select(c => index[c]).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long row = 0;
        while (reader.Read())
        {
            row++;
            if (limit.HasValue && row > limit.Value)
            {
                yield break;
            }
            string Field(int i) => i >= 0 && i < reader.FieldCount ? reader.GetString(i) : "";
            string image = Field(index["image"]).Trim();
            string label = Field(index["label"]).Trim();
            string mask = Field(index["mask"]).Trim();
            string id = idCol >= 0 && Field(idCol).Trim().Length > 0 ? Field(idCol).Trim() : image.Replace('\\', '/');
            var source = new ManifestRow(row, id, image, label, mask, extra.Select(i => i < reader.FieldCount ? (string?)reader.GetString(i) : null).ToArray());
            yield return Resolve(source, seen, reader.FieldCount);
        }
    }

    private ManifestEntry Resolve(ManifestRow r, HashSet<string> seen, int fieldCount)
    {
        ManifestEntry Error(string code, string detail) => new(r, -1, "", "", code, detail);
        if (fieldCount != Headers.Count)
        {
            return Error(ReasonCodes.MalformedRow, $"expected {Headers.Count} fields, found {fieldCount}");
        }
        if (r.Image.Length == 0 || r.Label.Length == 0 || r.Mask.Length == 0)
        {
            return Error(ReasonCodes.MalformedRow, "image, label and mask must all be non-empty");
        }
        if (!seen.Add(r.SampleId))
        {
            return Error(ReasonCodes.DuplicateId, $"sample id '{r.SampleId}' already used by an earlier row");
        }
        string? imagePath = ResolvePath(r.Image);
        string? maskPath = ResolvePath(r.Mask);
        if (imagePath == null || maskPath == null)
        {
            return Error(ReasonCodes.InvalidPath, $"path escapes the manifest folder '{root}': '{(imagePath == null ? r.Image : r.Mask)}'");
        }
        if (!labels.TryResolve(r.Label, out int label))
        {
            return Error(ReasonCodes.UnknownLabel, $"label '{r.Label}' is neither a class name nor an index in [0, {labels.Count - 1}]");
        }
        return new ManifestEntry(r, label, imagePath, maskPath, null, null);
    }

    private string? ResolvePath(string relative)
    {
        try
        {
            string full = Path.GetFullPath(Path.Combine(root, relative.Replace('\\', '/')));
            string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
            return full.StartsWith(rootWithSep, StringComparison.Ordinal) ? full : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private CsvReader Open(out StreamReader text)
    {
        text = new StreamReader(manifestPath, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return CsvReader.Create(text, new CsvReaderOptions(), leaveOpen: false);
    }

    private static string[] ReadHeaders(CsvReader reader)
    {
        return reader.Headers.Select(h => h.Trim()).ToArray();
    }
}
