using GradCamAudit.Results;
using Parquet;
using Parquet.Schema;

namespace GradCamAudit.Reporting;

/// <summary>
/// The predicted-class maps of every method for a few samples, from <c>explanations/</c> (column level, only the
/// wanted ids' lists kept): what the report shows side by side. Empty where the maps were not stored (<c>output.maps</c>).
/// </summary>
public static class ExplanationMaps
{
    public static Dictionary<string, List<(string Method, float[] Cam)>> Read(string runDirectory, IReadOnlyCollection<string> ids, IReadOnlyList<string> methods)
    {
        var result = new Dictionary<string, List<(string, float[])>>(StringComparer.Ordinal);
        string dir = Path.Combine(runDirectory, "explanations");
        if (ids.Count == 0 || !Directory.Exists(dir))
        {
            return result;
        }
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        foreach (string part in Directory.EnumerateFiles(dir, "part-*.parquet").Order(StringComparer.Ordinal))
        {
            ResultsReader.WithReader(part, reader => ReadPart(reader, wanted, result));
        }
        // In the configured order of the methods.
        foreach (var list in result.Values)
        {
            list.Sort((a, b) => IndexOf(methods, a.Item1).CompareTo(IndexOf(methods, b.Item1)));
        }
        return result;
    }

    private static int IndexOf(IReadOnlyList<string> methods, string method) => methods.ToList().IndexOf(method) is int i and >= 0 ? i : int.MaxValue;

    private static void ReadPart(ParquetReader reader, HashSet<string> wanted, Dictionary<string, List<(string, float[])>> result)
    {
        var top = reader.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        if (top.GetValueOrDefault("cam") is not ListField { Item: DataField item } || top["sample_id"] is not DataField idField)
        {
            return;
        }
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader rg = reader.OpenRowGroupReader(g);
            int n = (int)rg.RowCount;
            string?[] id = ResultsReader.ReadStrings(rg, idField, n).GetAwaiter().GetResult();
            if (!id.Any(x => x != null && wanted.Contains(x)))
            {
                continue;
            }
            string?[] method = ResultsReader.ReadStrings(rg, (DataField)top["method"], n).GetAwaiter().GetResult();
            string?[] target = ResultsReader.ReadStrings(rg, (DataField)top["target"], n).GetAwaiter().GetResult();
            double?[] h = ResultsReader.ReadNumbers(rg, (DataField)top["cam_height"], n).GetAwaiter().GetResult();
            double?[] w = ResultsReader.ReadNumbers(rg, (DataField)top["cam_width"], n).GetAwaiter().GetResult();
            int capacity = n + (int)h.Zip(w).Sum(p => (p.First ?? 0) * (p.Second ?? 0));
            float[][] cams = ResultsReader.ReadLists(rg, item, id, wanted, capacity);
            for (int i = 0; i < n; i++)
            {
                if (id[i] is string s && wanted.Contains(s) && target[i] == "pred" && method[i] is string m && cams[i].Length > 0)
                {
                    if (!result.TryGetValue(s, out var list))
                    {
                        result[s] = list = [];
                    }
                    list.Add((m, cams[i]));
                }
            }
        }
    }
}
