using GradCamAudit.Results;
using Parquet;
using Parquet.Schema;

namespace GradCamAudit.Reporting;

/// <summary>
/// One row group of <c>explanations/</c>: its top-level columns by name, the group reader and its row count. Columns are
/// decoded once however many readers of the same pass ask for them.
/// </summary>
public sealed class ExplanationGroup(IReadOnlyDictionary<string, DataField> fields, ParquetRowGroupReader reader, int rows)
{
    private readonly Dictionary<string, string?[]> strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double?[]> numbers = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, DataField> Fields => fields;

    public int Rows => rows;

    public string?[] Strings(string column) =>
        strings.TryGetValue(column, out var v) ? v : strings[column] = ResultsReader.ReadStrings(reader, fields[column], rows).GetAwaiter().GetResult();

    /// <summary>A numeric or boolean column as double?; all null when the file lacks it.</summary>
    public double?[] Numbers(string column) => numbers.TryGetValue(column, out var v) ? v : numbers[column] =
        fields.TryGetValue(column, out DataField? f) ? ResultsReader.ReadNumbers(reader, f, rows).GetAwaiter().GetResult() : new double?[rows];
}

/// <summary>Streams the row groups of a run's <c>explanations/part-*.parquet</c>, one at a time, in part order.</summary>
public static class ExplanationsReader
{
    /// <summary>Visits every row group of the parts that have all of <paramref name="required"/>; nothing when the folder is absent.</summary>
    public static void ForEachGroup(string runDirectory, IReadOnlyList<string> required, Action<ExplanationGroup> visit)
    {
        string dir = Path.Combine(runDirectory, "explanations");
        if (!Directory.Exists(dir))
        {
            return;
        }
        foreach (string part in Directory.EnumerateFiles(dir, "part-*.parquet").Order(StringComparer.Ordinal))
        {
            ResultsReader.WithReader(part, reader =>
            {
                var fields = reader.Schema.Fields.OfType<DataField>().ToDictionary(f => f.Name, StringComparer.Ordinal);
                if (!required.All(fields.ContainsKey))
                {
                    return;
                }
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    using ParquetRowGroupReader rg = reader.OpenRowGroupReader(g);
                    visit(new ExplanationGroup(fields, rg, (int)rg.RowCount));
                }
            });
        }
    }
}
