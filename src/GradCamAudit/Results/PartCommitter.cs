using System.Globalization;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace GradCamAudit.Results;

/// <summary>What a committed part covers: a contiguous stretch of the run's rows, its result rows and its error rows.</summary>
public sealed record PartCoverage(int Index, long FirstRow, long LastRow, long RowCount, long ErrorRows)
{
    public long ResultRows => RowCount - ErrorRows;
}

/// <summary>
/// The commit protocol. Batches arrive in the run's row order; rows and errors accumulate until a part holds at
/// least <c>partRows</c> manifest rows (closed at a batch boundary), then the part is committed: its errors go to
/// <c>errors/part-NNNNN.csv</c> (sorted by row), its results to <c>results/part-NNNNN.parquet</c> with what it covers in
/// the key-value metadata, its explanations (one row per sample, method and target) to
/// <c>explanations/part-NNNNN.parquet</c>, each under a temporary name, flushed to disk and renamed. The Parquet rename is the commit
/// point: an error part without its results part is debris of a killed run and is discarded on resume. Every part has
/// a results file (possibly of zero rows), so even a run whose every row failed leaves a readable dataset.
/// </summary>
public sealed class PartCommitter
{
    public const string FirstRowKey = "gradcam_audit.first_row";
    public const string LastRowKey = "gradcam_audit.last_row";
    public const string RowCountKey = "gradcam_audit.row_count";
    public const string ErrorRowsKey = "gradcam_audit.error_rows";

    private static readonly string[] ErrorHeader = ["row", "sample_id", "image", "reason_code", "detail"];

    private readonly RunFolder folder;
    private readonly IReadOnlyList<string> extraColumns;
    private readonly int partRows;
    private readonly IReadOnlyDictionary<string, string> metadata;
    private readonly ParquetSchema schema;
    private readonly List<IDictionary<string, object?>> rows = [];
    private readonly List<SampleError> errors = [];
    private readonly List<IDictionary<string, object?>> explanations = [];
    private readonly ParquetSchema explanationSchema;
    private long first = long.MaxValue;
    private long last = long.MinValue;
    private long count;
    private volatile bool sealedAfterFailure;

    private readonly IReadOnlyList<string> metricColumns;

    public PartCommitter(RunFolder folder, IReadOnlyList<string> extraColumns, IReadOnlyList<string> metricColumns, int partRows, IReadOnlyDictionary<string, string> metadata, int firstPartIndex = 0)
    {
        this.metricColumns = metricColumns;
        this.folder = folder;
        this.extraColumns = extraColumns;
        this.partRows = partRows;
        this.metadata = metadata;
        schema = ResultsSchema.Build(extraColumns, metricColumns);
        explanationSchema = ExplanationsSchema.Build(metricColumns);
        NextPart = firstPartIndex;
    }

    /// <summary>Index the next committed part will get.</summary>
    public int NextPart { get; private set; }

    public long ResultRowsCommitted { get; private set; }

    public long ErrorRowsCommitted { get; private set; }

    /// <summary>Adds one batch (its rows and errors); commits a part when enough rows have accumulated.</summary>
    public Task AddAsync(IReadOnlyList<ResultRow> results, IReadOnlyList<SampleError> sampleErrors, IReadOnlyList<ExplanationRow>? explained, CancellationToken ct) =>
        AddRawAsync(results.Select(r => ResultsSchema.ToDictionary(r, extraColumns, metricColumns)).ToList(), sampleErrors,
            (explained ?? []).Select(e => ExplanationsSchema.ToDictionary(e, metricColumns)).ToList(), ct);

    /// <summary>Adds result rows already in the schema's column form (as <c>merge</c> reads them back from shards).</summary>
    public async Task AddRawAsync(IReadOnlyList<IDictionary<string, object?>> results, IReadOnlyList<SampleError> sampleErrors, IReadOnlyList<IDictionary<string, object?>> explained, CancellationToken ct)
    {
        explanations.AddRange(explained);
        foreach (IDictionary<string, object?> r in results)
        {
            rows.Add(r);
            Cover(Convert.ToInt64(r["row"], CultureInfo.InvariantCulture));
        }
        foreach (SampleError e in sampleErrors)
        {
            errors.Add(e);
            Cover(e.Row);
        }
        if (count >= partRows)
        {
            await CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Commits what is buffered; with <paramref name="evenIfEmpty"/> writes a schema-only part when nothing was ever committed.</summary>
    public async Task CompleteAsync(bool evenIfEmpty, CancellationToken ct)
    {
        if (count > 0 || (evenIfEmpty && NextPart == 0))
        {
            await CommitAsync(ct).ConfigureAwait(false);
        }
    }

    private void Cover(long row)
    {
        first = Math.Min(first, row);
        last = Math.Max(last, row);
        count++;
    }

    /// <summary>After a failure: a stage that wakes up later must not commit anything more to the folder.</summary>
    public void Seal() => sealedAfterFailure = true;

    private async Task CommitAsync(CancellationToken ct)
    {
        if (sealedAfterFailure)
        {
            throw new OperationCanceledException("the run has failed: no more parts are committed");
        }
        Directory.CreateDirectory(folder.ResultsDirectory);
        Directory.CreateDirectory(folder.ErrorPartsDirectory);
        int index = NextPart;
        errors.Sort((a, b) => a.Row.CompareTo(b.Row));
        RunFolder.WriteAtomic(folder.ErrorPartPath(index), s => WriteErrors(s, errors));
        Directory.CreateDirectory(folder.ExplanationsDirectory);
        await RunFolder.WriteAtomicAsync(
            folder.ExplanationPartPath(index),
            s => ParquetSerializer.SerializeUntypedAsync(explanations, explanationSchema, s, new ParquetOptions(), metadata, ct),
            overwrite: true).ConfigureAwait(false);
        var meta = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
        {
            [FirstRowKey] = (count == 0 ? 0 : first).ToString(CultureInfo.InvariantCulture),
            [LastRowKey] = (count == 0 ? 0 : last).ToString(CultureInfo.InvariantCulture),
            [RowCountKey] = count.ToString(CultureInfo.InvariantCulture),
            [ErrorRowsKey] = errors.Count.ToString(CultureInfo.InvariantCulture),
        };
        await RunFolder.WriteAtomicAsync(
            folder.ResultPartPath(index),
            s => ParquetSerializer.SerializeUntypedAsync(rows, schema, s, new ParquetOptions(), meta, ct),
            overwrite: false, pausePoint: string.Create(CultureInfo.InvariantCulture, $"part-written:{index}")).ConfigureAwait(false);
        PausePoints.Reach(string.Create(CultureInfo.InvariantCulture, $"part-committed:{index}"));
        ResultRowsCommitted += rows.Count;
        ErrorRowsCommitted += errors.Count;
        rows.Clear();
        errors.Clear();
        explanations.Clear();
        (first, last, count) = (long.MaxValue, long.MinValue, 0);
        NextPart++;
    }

    /// <summary>errors.csv columns; cells that a spreadsheet would run as a formula are neutralised (OWASP CSV injection).</summary>
    public static void WriteErrors(Stream stream, IEnumerable<SampleError> sampleErrors, bool neutralise = true)
    {
        using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
        using var csv = CsvWriter.Create(text, new CsvWriterOptions(), leaveOpen: true);
        csv.WriteRecord(ErrorHeader);
        foreach (SampleError e in sampleErrors)
        {
            csv.WriteRecord(neutralise
                ? [e.Row.ToString(CultureInfo.InvariantCulture), Safe(e.SampleId), Safe(e.Image), e.ReasonCode, Safe(e.Detail)]
                : [e.Row.ToString(CultureInfo.InvariantCulture), e.SampleId, e.Image, e.ReasonCode, e.Detail]);
        }
    }

    /// <summary>Reads an error part (or errors.csv) back.</summary>
    public static List<SampleError> ReadErrors(string path)
    {
        var list = new List<SampleError>();
        using var text = new StreamReader(path);
        using var csv = CsvReader.Create(text, new CsvReaderOptions(), leaveOpen: false);
        while (csv.Read())
        {
            list.Add(new SampleError(long.Parse(csv.GetString("row"), CultureInfo.InvariantCulture), csv.GetString("sample_id"), csv.GetString("image"), csv.GetString("reason_code"), csv.GetString("detail")));
        }
        return list;
    }

    /// <summary>Reads what a committed results part covers from its key-value metadata (null for a part another tool wrote).</summary>
    public static async Task<PartCoverage?> ReadCoverageAsync(string parquetPath, int index, CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(parquetPath, cancellationToken: ct).ConfigureAwait(false);
        IReadOnlyDictionary<string, string> kv = reader.CustomMetadata;
        if (!kv.TryGetValue(FirstRowKey, out string? f) || !kv.TryGetValue(LastRowKey, out string? l)
            || !kv.TryGetValue(RowCountKey, out string? c) || !kv.TryGetValue(ErrorRowsKey, out string? e))
        {
            return null;
        }
        return new PartCoverage(index, long.Parse(f, CultureInfo.InvariantCulture), long.Parse(l, CultureInfo.InvariantCulture),
            long.Parse(c, CultureInfo.InvariantCulture), long.Parse(e, CultureInfo.InvariantCulture));
    }

    private static string Safe(string cell) => cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell;
}
