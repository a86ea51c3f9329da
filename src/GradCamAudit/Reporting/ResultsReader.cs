using Parquet;
using Parquet.Serialization;

namespace GradCamAudit.Reporting;

/// <summary>Reads a run's results part files back (all parts of <c>results/</c>, in name order).</summary>
public static class ResultsReader
{
    public static IEnumerable<string> Parts(string runDirectory)
    {
        string dir = Path.Combine(runDirectory, "results");
        return Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "part-*.parquet").Order(StringComparer.Ordinal) : [];
    }

    /// <summary>Scalar columns of every row.</summary>
    public static List<ReportRow> ReadRows(string runDirectory)
    {
        var rows = new List<ReportRow>();
        foreach (string part in Parts(runDirectory))
        {
            using var stream = File.OpenRead(part);
            rows.AddRange(ParquetSerializer.DeserializeAsync<ReportRow>(stream, new ParquetOptions()).GetAwaiter().GetResult().Data);
        }
        return rows;
    }

    /// <summary>The maps of the wanted sample ids only (the rest are dropped as they stream by).</summary>
    public static Dictionary<string, ReportMaps> ReadMaps(string runDirectory, IReadOnlySet<string> wanted)
    {
        var maps = new Dictionary<string, ReportMaps>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return maps;
        }
        foreach (string part in Parts(runDirectory))
        {
            using var stream = File.OpenRead(part);
            foreach (ReportMaps m in ParquetSerializer.DeserializeAsync<ReportMaps>(stream, new ParquetOptions()).GetAwaiter().GetResult().Data)
            {
                if (wanted.Contains(m.SampleId))
                {
                    maps[m.SampleId] = m;
                }
            }
        }
        return maps;
    }
}
