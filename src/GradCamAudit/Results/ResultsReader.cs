using GradCamAudit.Options;
using Parquet;
using Parquet.Schema;

namespace GradCamAudit.Results;

/// <summary>Where a row came from: the file and row group, so the gallery can read back only the maps it shows.</summary>
public readonly record struct RowOrigin(string File, int RowGroup);

/// <summary>
/// Reads a run's results for the report, whoever wrote them: every <c>*.parquet</c> under <c>results/</c>, recursively
/// (names starting with '.' or '_' skipped, as Spark and Hive layouts need), any row-group layout, columns found by
/// name in each file's own schema and read with the column-level reader, so nullable and required columns, and
/// integer widths of other writers (DuckDB, pyarrow, Spark), all read. Streams one row group at a time.
/// </summary>
public static class ResultsReader
{
    /// <summary>
    /// The scalar columns every results file has, whatever its metric selection: the fixed columns and the metrics the
    /// catalogue always computes (<see cref="Scoring.Metrics.MetricCatalogue.Required"/>). Optional metrics (the pointing
    /// game among them) are read when the file has them and are null otherwise.
    /// </summary>
    public static IReadOnlyList<string> RequiredColumns { get; } =
    [
        "sample_id", "row", "image", "true_label", "true_name", "pred_label", "pred_name", "confidence", "true_prob", "correct", "mask_fraction",
        .. Scoring.Metrics.MetricCatalogue.Required.Select(m => "pred_" + m), .. Scoring.Metrics.MetricCatalogue.Required.Select(m => "true_" + m),
        "off_object", "flagged", "right_for_wrong_reason", "cam_height", "cam_width",
    ];

    public static IReadOnlyList<string> Parts(string runDirectory)
    {
        string dir = Path.Combine(runDirectory, "results");
        if (!Directory.Exists(dir))
        {
            return [];
        }
        return Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(seg => seg.StartsWith('.') || seg.StartsWith('_')))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every row's scalar columns, one row group at a time.</summary>
    public static async IAsyncEnumerable<(ReportRow[] Rows, RowOrigin Origin)> ReadChunksAsync(string runDirectory)
    {
        foreach (string part in Parts(runDirectory))
        {
            await using var reader = await ParquetReader.CreateAsync(part).ConfigureAwait(false);
            var fields = reader.Schema.Fields.OfType<DataField>().ToDictionary(f => f.Name, StringComparer.Ordinal); // top-level columns (list elements are nested)
            string[] missing = RequiredColumns.Where(c => !fields.ContainsKey(c)).ToArray();
            if (missing.Length > 0)
            {
                throw new ConfigException($"results: '{part}' lacks the column(s) {string.Join(", ", missing)} of the results contract");
            }
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using ParquetRowGroupReader rg = reader.OpenRowGroupReader(g);
                int n = (int)rg.RowCount;
                var rows = new ReportRow[n];
                for (int i = 0; i < n; i++)
                {
                    rows[i] = new ReportRow();
                }
                async Task Strings(string name, Action<ReportRow, string> set)
                {
                    string?[] v = await ReadStrings(rg, fields[name], n).ConfigureAwait(false);
                    for (int i = 0; i < n; i++)
                    {
                        set(rows[i], v[i] ?? "");
                    }
                }
                async Task Numbers(string name, Action<ReportRow, double?> set)
                {
                    double?[] v = await ReadNumbers(rg, fields[name], n).ConfigureAwait(false);
                    for (int i = 0; i < n; i++)
                    {
                        set(rows[i], v[i]);
                    }
                }
                static bool? B(double? d) => d.HasValue ? d.Value != 0 : null;
                await Strings("sample_id", (r, v) => r.SampleId = v).ConfigureAwait(false);
                await Strings("image", (r, v) => r.Image = v).ConfigureAwait(false);
                await Strings("true_name", (r, v) => r.TrueName = v).ConfigureAwait(false);
                await Strings("pred_name", (r, v) => r.PredName = v).ConfigureAwait(false);
                await Numbers("row", (r, v) => r.Row = (long)(v ?? 0)).ConfigureAwait(false);
                await Numbers("true_label", (r, v) => r.TrueLabel = (int)(v ?? 0)).ConfigureAwait(false);
                await Numbers("pred_label", (r, v) => r.PredLabel = (int)(v ?? 0)).ConfigureAwait(false);
                await Numbers("confidence", (r, v) => r.Confidence = (float?)v).ConfigureAwait(false);
                await Numbers("true_prob", (r, v) => r.TrueProb = (float?)v).ConfigureAwait(false);
                await Numbers("correct", (r, v) => r.Correct = v is > 0).ConfigureAwait(false);
                await Numbers("mask_fraction", (r, v) => r.MaskFraction = v).ConfigureAwait(false);
                await Numbers("pred_energy_in_mask", (r, v) => r.PredEnergyInMask = v).ConfigureAwait(false);
                await Numbers("pred_energy_lift", (r, v) => r.PredEnergyLift = v).ConfigureAwait(false);
                if (fields.ContainsKey("pred_pointing_hit")) // optional metric: absent when explain.metrics leaves it out
                {
                    await Numbers("pred_pointing_hit", (r, v) => r.PredPointingHit = B(v)).ConfigureAwait(false);
                }
                await Numbers("true_energy_in_mask", (r, v) => r.TrueEnergyInMask = v).ConfigureAwait(false);
                await Numbers("true_energy_lift", (r, v) => r.TrueEnergyLift = v).ConfigureAwait(false);
                await Numbers("off_object", (r, v) => r.OffObject = B(v)).ConfigureAwait(false);
                await Numbers("flagged", (r, v) => r.Flagged = B(v)).ConfigureAwait(false);
                await Numbers("right_for_wrong_reason", (r, v) => r.RightForWrongReason = B(v)).ConfigureAwait(false);
                await Numbers("cam_height", (r, v) => r.CamHeight = (int)(v ?? 0)).ConfigureAwait(false);
                await Numbers("cam_width", (r, v) => r.CamWidth = (int)(v ?? 0)).ConfigureAwait(false);
                if (fields.ContainsKey("possible_label_error")) // optional: results written before the column existed lack it
                {
                    await Numbers("possible_label_error", (r, v) => r.PossibleLabelError = B(v)).ConfigureAwait(false);
                }
                if (fields.ContainsKey("mask_source")) // optional: results written before the column existed read as null
                {
                    await Strings("mask_source", (r, v) => r.MaskSource = v.Length == 0 ? null : v).ConfigureAwait(false);
                }
                if (Results.ResultsSchema.InterventionColumns.All(fields.ContainsKey)) // optional: findings.interventions off, or older results
                {
                    await Strings("intervention", (r, v) => r.Intervention = v.Length == 0 ? null : v).ConfigureAwait(false);
                    await Numbers("object_only_pred", (r, v) => r.ObjectOnlyPred = v is double d ? (int)d : null).ConfigureAwait(false);
                    await Numbers("object_only_prob", (r, v) => r.ObjectOnlyProb = (float?)v).ConfigureAwait(false);
                    await Numbers("background_only_pred", (r, v) => r.BackgroundOnlyPred = v is double d ? (int)d : null).ConfigureAwait(false);
                    await Numbers("background_only_prob", (r, v) => r.BackgroundOnlyProb = (float?)v).ConfigureAwait(false);
                }
                yield return (rows, new RowOrigin(part, g));
            }
        }
    }

    /// <summary>The same chunks for synchronous callers (the report, the gates): one row group at a time.</summary>
    public static IEnumerable<(ReportRow[] Rows, RowOrigin Origin)> ReadChunks(string runDirectory)
    {
        var e = ReadChunksAsync(runDirectory).GetAsyncEnumerator();
        try
        {
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                yield return e.Current;
            }
        }
        finally
        {
            e.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>All rows at once (small runs and tests).</summary>
    public static List<ReportRow> ReadRows(string runDirectory) => ReadChunks(runDirectory).SelectMany(c => c.Rows).ToList();

    /// <summary>
    /// The maps of the wanted sample ids, reading only the row groups they are in, and in those only the sample_id and
    /// the two list columns, at the column level (values plus repetition levels: a level of 0 starts a row's list), so
    /// no row group is ever materialised as objects.
    /// </summary>
    public static Dictionary<string, ReportMaps> ReadMaps(IReadOnlyDictionary<RowOrigin, HashSet<string>> wanted)
    {
        var maps = new Dictionary<string, ReportMaps>(StringComparer.Ordinal);
        foreach (var group in wanted.GroupBy(w => w.Key.File))
        {
            WithReader(group.Key, reader => ReadMapsOfFile(reader, group, maps));
        }
        return maps;
    }

    /// <summary>
    /// Every row's predicted-class map of one row group, in row order (empty where the file holds no maps), read at the
    /// column level like <see cref="ReadMaps"/>: what the per-class mean maps are accumulated from.
    /// </summary>
    public static float[][] ReadPredictedMaps(RowOrigin origin)
    {
        float[][] result = [];
        WithReader(origin.File, reader =>
        {
            var top = reader.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
            using ParquetRowGroupReader rg = reader.OpenRowGroupReader(origin.RowGroup);
            int n = (int)rg.RowCount;
            if (top.GetValueOrDefault("pred_cam") is not ListField { Item: DataField item } || top.GetValueOrDefault("sample_id") is not DataField idField)
            {
                result = Enumerable.Range(0, n).Select(_ => Array.Empty<float>()).ToArray();
                return;
            }
            string?[] sampleIds = ReadStrings(rg, idField, n).GetAwaiter().GetResult();
            double?[] heights = ReadNumbers(rg, (DataField)top["cam_height"], n).GetAwaiter().GetResult();
            double?[] widths = ReadNumbers(rg, (DataField)top["cam_width"], n).GetAwaiter().GetResult();
            int capacity = n + (int)heights.Zip(widths).Sum(p => (p.First ?? 0) * (p.Second ?? 0));
            result = ReadLists(rg, item, sampleIds, null, capacity);
        });
        return result;
    }

    /// <summary>Opens a Parquet file for a synchronous caller and disposes the reader afterwards.</summary>
    internal static void WithReader(string path, Action<ParquetReader> read)
    {
        ParquetReader reader = ParquetReader.CreateAsync(path).GetAwaiter().GetResult();
        try
        {
            read(reader);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void ReadMapsOfFile(ParquetReader reader, IEnumerable<KeyValuePair<RowOrigin, HashSet<string>>> group, Dictionary<string, ReportMaps> maps)
    {
        {
            var top = reader.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
            if (top.GetValueOrDefault("pred_cam") is not ListField predList || top.GetValueOrDefault("true_cam") is not ListField trueList
                || predList.Item is not DataField predItem || trueList.Item is not DataField trueItem || top["sample_id"] is not DataField idField)
            {
                return; // no maps in this file: the cards show the image and scores only
            }
            foreach ((RowOrigin origin, HashSet<string> ids) in group)
            {
                using ParquetRowGroupReader rg = reader.OpenRowGroupReader(origin.RowGroup);
                int n = (int)rg.RowCount;
                string?[] sampleIds = ReadStrings(rg, idField, n).GetAwaiter().GetResult();
                // An upper bound of the values in a list column chunk: every map's cells, plus one slot per row for an empty or null list.
                double?[] heights = ReadNumbers(rg, (DataField)top["cam_height"], n).GetAwaiter().GetResult();
                double?[] widths = ReadNumbers(rg, (DataField)top["cam_width"], n).GetAwaiter().GetResult();
                int capacity = n + (int)heights.Zip(widths).Sum(p => (p.First ?? 0) * (p.Second ?? 0));
                float[][] predCams = ReadLists(rg, predItem, sampleIds, ids, capacity);
                float[][] trueCams = ReadLists(rg, trueItem, sampleIds, ids, capacity);
                for (int i = 0; i < sampleIds.Length; i++)
                {
                    if (sampleIds[i] is string id && ids.Contains(id))
                    {
                        maps[id] = new ReportMaps { SampleId = id, PredCam = predCams[i], TrueCam = trueCams[i] };
                    }
                }
            }
        }
    }

    /// <summary>One list column of a row group, split into rows by its repetition levels; only the wanted rows' lists are kept.</summary>
    internal static float[][] ReadLists(ParquetRowGroupReader rg, DataField item, string?[] sampleIds, HashSet<string>? keep, int capacity)
    {
        var values = new float[capacity];
        var definitions = new int[capacity];
        var levels = new int[capacity];
        Array.Fill(levels, -1); // slots the reader does not fill keep -1: the end of the chunk
        rg.ReadRawAsync<float>(item, values.AsMemory(), definitions.AsMemory(), levels.AsMemory()).AsTask().GetAwaiter().GetResult();
        int count = Array.IndexOf(levels, -1) is int end and >= 0 ? end : capacity;
        int defined = count == 0 ? 0 : definitions.AsSpan(0, count).ToArray().Max(); // the element's level: lower ones are empty or null lists
        int next = 0;
        var lists = new float[sampleIds.Length][];
        int row = -1;
        List<float>? current = null;
        for (int v = 0; v < count; v++)
        {
            if (levels[v] == 0)
            {
                if (row >= 0 && current != null)
                {
                    lists[row] = [.. current];
                }
                row++;
                current = row < sampleIds.Length && sampleIds[row] is string id && (keep == null || keep.Contains(id)) ? [] : null;
            }
            if (definitions[v] == defined)
            {
                float value = values[next++];
                current?.Add(value);
            }
        }
        if (row >= 0 && row < lists.Length && current != null)
        {
            lists[row] = [.. current];
        }
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] ??= [];
        }
        return lists;
    }

    internal static async Task<string?[]> ReadStrings(ParquetRowGroupReader rg, DataField field, int n)
    {
        var values = new string?[n];
        await rg.ReadAsync(field, values.AsMemory()).ConfigureAwait(false);
        return values;
    }

    /// <summary>A numeric or boolean column as double?, whatever its physical type and nullability.</summary>
    internal static async Task<double?[]> ReadNumbers(ParquetRowGroupReader rg, DataField field, int n)
    {
        Type t = field.ClrType;
        if (t == typeof(double))
        {
            return await Read<double>(rg, field, n, v => v).ConfigureAwait(false);
        }
        if (t == typeof(float))
        {
            return await Read<float>(rg, field, n, v => v).ConfigureAwait(false);
        }
        if (t == typeof(int))
        {
            return await Read<int>(rg, field, n, v => v).ConfigureAwait(false);
        }
        if (t == typeof(long))
        {
            return await Read<long>(rg, field, n, v => v).ConfigureAwait(false);
        }
        if (t == typeof(short))
        {
            return await Read<short>(rg, field, n, v => v).ConfigureAwait(false);
        }
        if (t == typeof(bool))
        {
            return await Read<bool>(rg, field, n, v => v ? 1 : 0).ConfigureAwait(false);
        }
        if (t == typeof(decimal))
        {
            // DuckDB writes decimal literals (0.1 + 0.05 * i) as DECIMAL unless cast.
            return await Read<decimal>(rg, field, n, v => (double)v).ConfigureAwait(false);
        }
        throw new ConfigException($"results: column '{field.Name}' has type {t.Name}, not a number");
    }

    private static async Task<double?[]> Read<T>(ParquetRowGroupReader rg, DataField field, int n, Func<T, double> convert)
        where T : struct
    {
        var result = new double?[n];
        if (field.IsNullable)
        {
            var values = new T?[n];
            await rg.ReadAsync<T>(field, values.AsMemory()).ConfigureAwait(false);
            for (int i = 0; i < n; i++)
            {
                result[i] = values[i] is T v ? convert(v) : null;
            }
        }
        else
        {
            var values = new T[n];
            await rg.ReadAsync<T>(field, values.AsMemory()).ConfigureAwait(false);
            for (int i = 0; i < n; i++)
            {
                result[i] = convert(values[i]);
            }
        }
        return result;
    }
}
