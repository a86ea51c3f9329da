using CsvHelper;

namespace GradCamAudit.Data;

/// <summary>
/// Streams a CSV manifest (header <c>image,label</c>, optional <c>id</c>, <c>mask</c> and <c>box</c>, any other columns
/// passed through). A row's region is its <c>mask</c> file, or its <c>box</c> field (<see cref="Masks.BoxList"/>), or
/// none (both empty or absent: audited without mask metrics, <c>mask_source = none</c>); a row giving both is
/// <c>malformed_row</c> (one region per row, never a silent precedence).
/// Rows are resolved one at a time, so the manifest is never held in memory; per-row problems (unknown label,
/// duplicate id, empty field, path escaping the manifest folder) become error entries, never exceptions.
/// </summary>
public sealed class ManifestReader
{
    private static readonly string[] Required = ["image", "label"];

    /// <summary>The columns the reader interprets (any other is passed through).</summary>
    private static readonly string[] Known = ["image", "label", "mask", "box", "id"];

    private readonly string manifestPath;
    private readonly string root;
    private readonly LabelResolver labels;

    public ManifestReader(string manifestPath, IReadOnlyList<string> classes)
    {
        this.manifestPath = Path.GetFullPath(manifestPath);
        root = Path.GetDirectoryName(this.manifestPath)!;
        labels = new LabelResolver(classes);
        using var reader = Open(out _, out _);
        Headers = ReadHeaders(reader);
        var problems = new List<string>();
        var missing = Required.Where(r => !Headers.Contains(r, StringComparer.Ordinal)).ToArray();
        if (missing.Length > 0)
        {
            problems.Add($"dataset.manifest: '{manifestPath}' lacks the column(s) {string.Join(", ", missing)} (a comma-separated header must contain image,label; optional id, mask, box)");
        }
        for (int i = 0; i < Headers.Count; i++)
        {
            if (Headers[i].Length == 0)
            {
                problems.Add($"dataset.manifest: column {i + 1} has an empty name");
            }
            else if (Headers.Take(i).Contains(Headers[i], StringComparer.Ordinal))
            {
                problems.Add($"dataset.manifest: the column name '{Headers[i]}' appears more than once");
            }
        }
        ExtraColumns = Headers.Where(h => h.Length > 0 && !Known.Contains(h)).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var same in ExtraColumns.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"dataset.manifest: the columns {string.Join(", ", same.Select(c => $"'{c}'"))} differ only by case, which case-insensitive readers (Spark, Hive) refuse: rename one");
        }
        foreach (string extra in ExtraColumns.Where(Results.ResultsSchema.IsReserved))
        {
            problems.Add($"dataset.manifest: the column '{extra}' would collide with the results' own columns (names {string.Join(", ", Results.ResultsSchema.ReservedPrefixes.Select(p => p + "*"))} and the contract's columns are reserved): rename it");
        }
        if (problems.Count > 0)
        {
            throw new Options.ConfigException(problems);
        }
    }

    /// <summary>All header names, as written.</summary>
    public IReadOnlyList<string> Headers { get; }

    /// <summary>Columns passed through to the results as strings.</summary>
    public IReadOnlyList<string> ExtraColumns { get; }

    /// <summary>Enumerates the first <paramref name="limit"/> data rows (all when null).</summary>
    public IEnumerable<ManifestEntry> Read(long? limit = null)
    {
        using var reader = Open(out _, out Func<bool> malformed);
        var index = Headers.Select((h, i) => (h, i)).GroupBy(x => x.h, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        int idCol = index.GetValueOrDefault("id", -1);
        int maskCol = index.GetValueOrDefault("mask", -1);
        int boxCol = index.GetValueOrDefault("box", -1);
        int[] extra = ExtraColumns.Select(c => index[c]).ToArray();
        var seen = new Sources.IdSet(); // 32 bytes a row, whatever the ids' length
        long row = 0;
        while (reader.Read())
        {
            row++;
            if (limit.HasValue && row > limit.Value)
            {
                yield break;
            }
            if (reader.FieldCount == 1 && reader.GetString(0) == BoundedLineReader.OversizeMarker)
            {
                var oversize = new ManifestRow(row, $"row-{row}", "", "", "", new string?[extra.Length]);
                yield return new ManifestEntry(oversize, -1, "", "", ReasonCodes.MalformedRow,
                    $"the record is longer than {MaxRecordBytes / 1024} KiB (manifest rows hold short paths and labels): skipped to the next line");
                continue;
            }
            string Field(int i) => i >= 0 && i < reader.FieldCount ? reader.GetString(i) : "";
            string image = Field(index["image"]).Trim();
            string label = Field(index["label"]).Trim();
            string mask = Field(maskCol).Trim();
            string box = Field(boxCol).Trim();
            string id = idCol >= 0 && Field(idCol).Trim().Length > 0 ? Field(idCol).Trim() : image.Replace('\\', '/');
            var source = new ManifestRow(row, id, image, label, mask, extra.Select(i => i < reader.FieldCount ? (string?)reader.GetString(i) : null).ToArray(), box);
            yield return Resolve(source, seen, reader.FieldCount, malformed());
        }
    }

    private ManifestEntry Resolve(ManifestRow r, Sources.IdSet seen, int fieldCount, bool badQuoting)
    {
        ManifestEntry Error(string code, string detail) => new(r, -1, "", "", code, detail);
        if (badQuoting)
        {
            return Error(ReasonCodes.MalformedRow, "unbalanced quotes: the row is read up to the end of its line");
        }
        if (fieldCount != Headers.Count)
        {
            return Error(ReasonCodes.MalformedRow, $"expected {Headers.Count} fields, found {fieldCount}");
        }
        if (r.Image.Length == 0 || r.Label.Length == 0)
        {
            return Error(ReasonCodes.MalformedRow, "image and label must be non-empty");
        }
        if (r.Mask.Length > 0 && r.Box.Length > 0)
        {
            return Error(ReasonCodes.MalformedRow, "the row gives both a mask and a box: a row names one region (leave one of the two fields empty)");
        }
        string? imagePath = ResolvePath(r.Image);
        string? maskPath = r.Mask.Length == 0 ? "" : ResolvePath(r.Mask);
        if (imagePath == null || maskPath == null)
        {
            return Error(ReasonCodes.InvalidPath, $"path escapes the manifest's folder: '{(imagePath == null ? r.Image : r.Mask)}'");
        }
        Masks.MaskLocator? region = null;
        if (r.Box.Length > 0)
        {
            if (Masks.BoxList.Parse(r.Box, out string? problem) is not { } boxes)
            {
                return Error(ReasonCodes.BoxInvalid, $"box: {problem}");
            }
            region = new Masks.BoxMask(BoxPrefix + r.Box, boxes);
        }
        else if (r.Mask.Length == 0)
        {
            region = Masks.NoMask.Instance;
        }
        if (!labels.TryResolve(r.Label, out int label))
        {
            return Error(ReasonCodes.UnknownLabel, $"label '{r.Label}' is neither a class name nor an index in [0, {labels.Count - 1}]");
        }
        // Only a valid row claims its id, so a broken row cannot turn a later good row into a duplicate.
        if (!seen.Add(r.SampleId))
        {
            return Error(ReasonCodes.DuplicateId, $"sample id '{r.SampleId}' already used by an earlier row");
        }
        return new ManifestEntry(r, label, imagePath, maskPath, null, null, region);
    }

    /// <summary>The results' <c>mask</c> value of a row's boxes: this prefix and the field as written.</summary>
    public const string BoxPrefix = "box:";

    private string? ResolvePath(string relative) => Sources.SourcePaths.Inside(root, relative);

    /// <summary>Largest manifest record read (bytes): a hostile or broken file fails instead of filling memory.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>
    /// CsvHelper set on purpose: a comma, never a guessed separator (its default picks among , ; tab |) and no Excel
    /// <c>sep=</c> line; a line break always ends a record, so an unclosed quote spoils its own row only (which
    /// <paramref name="malformed"/> reports); records are bounded by <see cref="MaxRecordBytes"/>.
    /// </summary>
    private CsvReader Open(out StreamReader text, out Func<bool> malformed)
    {
        text = new StreamReader(manifestPath, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var bounded = new BoundedLineReader(text, MaxRecordBytes);
        bool flagged = false;
        var options = new CsvReaderOptions
        {
            Separator = ',',
            DetectSeparatorHint = false,
            AllowLineBreaksInQuotes = false,
            MaxRecordSize = MaxRecordBytes,
            MalformedData = CsvMalformedDataHandling.Recover,
            OnMalformedRecord = _ => flagged = true,
        };
        malformed = () =>
        {
            bool was = flagged;
            flagged = false;
            return was;
        };
        return CsvReader.Create(bounded, options, leaveOpen: false);
    }

    private static string[] ReadHeaders(CsvReader reader)
    {
        return reader.Headers.Select(h => h.Trim()).ToArray();
    }
}
