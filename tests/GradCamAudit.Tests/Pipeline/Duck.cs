using System.Collections;
using DuckDB.NET.Data;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>Independent Parquet reader for tests: DuckDB over results/*.parquet.</summary>
public static class Duck
{
    public static List<Dictionary<string, object?>> Query(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    public static string Results(string runDirectory) => $"read_parquet('{Path.Combine(runDirectory, "results", "*.parquet").Replace("'", "''", StringComparison.Ordinal)}')";

    public static float[] Floats(object? list) => list is IEnumerable e ? e.Cast<object?>().Select(v => Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [];
}
