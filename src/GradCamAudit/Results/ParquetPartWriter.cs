using System.Globalization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace GradCamAudit.Results;

/// <summary>
/// Streams result rows into <c>results/part-NNNNN.parquet</c>. Each part is written under a temporary name and
/// renamed when complete, so a reader only ever sees whole parts; at most <c>partRows</c> rows are buffered.
/// </summary>
public sealed class ParquetPartWriter(string resultsDirectory, IReadOnlyList<string> extraColumns, int partRows, IReadOnlyDictionary<string, string> metadata)
{
    private readonly ParquetSchema schema = ResultsSchema.Build(extraColumns);
    private readonly List<IDictionary<string, object?>> buffer = [];
    private int nextPart;

    public long RowsWritten { get; private set; }

    public int PartsWritten => nextPart;

    public async Task AddAsync(ResultRow row, CancellationToken ct = default)
    {
        buffer.Add(ResultsSchema.ToDictionary(row, extraColumns));
        if (buffer.Count >= partRows)
        {
            await FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Writes whatever is buffered as one complete part.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        if (buffer.Count == 0)
        {
            return;
        }
        Directory.CreateDirectory(resultsDirectory);
        string name = string.Create(CultureInfo.InvariantCulture, $"part-{nextPart:D5}.parquet");
        string final = Path.Combine(resultsDirectory, name);
        string temp = Path.Combine(resultsDirectory, "." + name + ".tmp");
        await using (var stream = File.Create(temp))
        {
            await ParquetSerializer.SerializeUntypedAsync(buffer, schema, stream, new ParquetOptions(), metadata, ct).ConfigureAwait(false);
        }
        File.Move(temp, final, overwrite: false);
        RowsWritten += buffer.Count;
        buffer.Clear();
        nextPart++;
    }
}
