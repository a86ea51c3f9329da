using System.Globalization;

namespace GradCamAudit.Results;

/// <summary>
/// Which rows a run was meant to cover, recorded in run.json by the run that completed it: every row the dataset
/// yielded (after <c>--limit</c>, before the shard filter: the same for every shard of one audit) and the rows of this
/// run's shard, each as a count and an order-free digest (<see cref="RowDigest"/>). <c>merge</c> reconciles the shards
/// against it: each shard's committed rows equal its expected rows, and the shards' expected rows add up to the
/// dataset's. <paramref name="Contiguous"/>: the dataset's rows were exactly 1..<paramref name="DatasetRows"/>, so
/// missing rows can be named one by one.
/// </summary>
public sealed record RowCoverage(long DatasetRows, long DatasetLastRow, bool Contiguous, string DatasetDigest, long ShardRows, string ShardDigest)
{
    /// <summary>The rows shard <paramref name="shard"/> should hold (only when <see cref="Contiguous"/>).</summary>
    public IEnumerable<long> ExpectedRows(ShardSpec? shard)
    {
        for (long row = 1; row <= DatasetLastRow; row++)
        {
            if (shard?.Contains(row) ?? true)
            {
                yield return row;
            }
        }
    }
}

/// <summary>An order-free digest of a set of row numbers: the sum (mod 2^64) of a 64-bit mix of each row.</summary>
public struct RowDigest
{
    public ulong Value { get; private set; }

    public long Count { get; private set; }

    public void Add(long row)
    {
        // SplitMix64's finaliser: a missing, extra or repeated row changes the sum with overwhelming probability.
        ulong z = unchecked((ulong)row + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        Value = unchecked(Value + (z ^ (z >> 31)));
        Count++;
    }

    public readonly string Hex => Value.ToString("x16", CultureInfo.InvariantCulture);

    public static ulong Parse(string hex) => ulong.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>Sorted row numbers as short runs (<c>2, 5..44 (every 3)</c>): members <paramref name="stride"/> apart are joined, at most <paramref name="max"/> runs shown.</summary>
    public static string Describe(IReadOnlyList<long> rows, int stride, int max = 12)
    {
        var runs = new List<string>();
        int i = 0;
        while (i < rows.Count && runs.Count < max)
        {
            int j = i;
            while (j + 1 < rows.Count && rows[j + 1] - rows[j] == stride)
            {
                j++;
            }
            runs.Add(j - i >= 2 ? string.Create(CultureInfo.InvariantCulture, $"{rows[i]}..{rows[j]}{(stride > 1 ? $" (every {stride})" : "")}")
                : j == i ? rows[i].ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{rows[i]}, {rows[j]}"));
            i = j + 1;
        }
        return string.Join(", ", runs) + (i < rows.Count ? ", ..." : "");
    }
}
