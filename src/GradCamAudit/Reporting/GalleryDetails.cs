using GradCamAudit.Results;
using Parquet;
using Parquet.Schema;

namespace GradCamAudit.Reporting;

/// <summary>What a gallery card shows besides scores and maps, from the results themselves: the <c>mask</c> column and the pass-through columns.</summary>
public sealed record GalleryDetail(string? Mask, IReadOnlyList<KeyValue> Extra);

/// <summary>
/// Reads the <c>mask</c> and pass-through columns of the gallery's rows only, from the row groups they are in (the
/// report never re-reads the dataset's manifest: everything a card names is in the results).
/// </summary>
public static class GalleryDetails
{
    public static Dictionary<string, GalleryDetail> Read(IReadOnlyDictionary<RowOrigin, HashSet<string>> wanted, IReadOnlyList<string> extraColumns)
    {
        var details = new Dictionary<string, GalleryDetail>(StringComparer.Ordinal);
        foreach (var group in wanted.GroupBy(w => w.Key.File))
        {
            ResultsReader.WithReader(group.Key, reader =>
            {
                var fields = reader.Schema.Fields.OfType<DataField>().ToDictionary(f => f.Name, StringComparer.Ordinal);
                if (!fields.TryGetValue("sample_id", out DataField? idField))
                {
                    return;
                }
                foreach ((RowOrigin origin, HashSet<string> ids) in group)
                {
                    using ParquetRowGroupReader rg = reader.OpenRowGroupReader(origin.RowGroup);
                    int n = (int)rg.RowCount;
                    string?[] Column(string name) => fields.TryGetValue(name, out DataField? f) && (f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>))
                        ? ResultsReader.ReadStrings(rg, f, n).GetAwaiter().GetResult()
                        : new string?[n];
                    string?[] sampleIds = Column(idField.Name);
                    string?[] masks = Column("mask");
                    string?[][] extras = extraColumns.Select(Column).ToArray();
                    for (int i = 0; i < n; i++)
                    {
                        if (sampleIds[i] is string id && ids.Contains(id))
                        {
                            details[id] = new GalleryDetail(masks[i], extraColumns.Select((c, k) => new KeyValue(c, extras[k][i] ?? "")).ToList());
                        }
                    }
                }
            });
        }
        return details;
    }
}
