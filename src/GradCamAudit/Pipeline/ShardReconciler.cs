using System.Globalization;
using GradCamAudit.Results;
using Parquet;

namespace GradCamAudit.Pipeline;

/// <summary>
/// <c>merge</c>'s coverage reconciliation: a merged run holds every row of the audit once, or it is not made. Before
/// anything is written, from run.json and the parts' metadata: each shard's parts are its own (run id and config hash
/// in each part's key-value metadata), each part's recorded row range, result and error counts match its files, the
/// parts of a shard add up to the rows it was meant to cover (<see cref="RowCoverage"/>), and the shards' rows add up
/// to the dataset's (counts and order-free digests). While the rows are streamed, <see cref="Tracker"/> checks every
/// row again (in the shard, in order, once) and that each shard's rows equal the rows it recorded as expected. Every
/// problem names the shard and, where the dataset's rows are 1..N, the rows.
/// </summary>
public static class ShardReconciler
{
    public static string Name(RunFolder folder, RunManifest run) =>
        run.Shard is { } s ? string.Create(CultureInfo.InvariantCulture, $"shard {s.Index} of {s.Count} ('{folder.Directory}')") : $"'{folder.Directory}'";

    /// <summary>The rows a missing or unusable shard would have held, when a shard's coverage says the dataset's rows are 1..N.</summary>
    public static string RowsOf(ShardSpec shard, IEnumerable<RunManifest> others)
    {
        RowCoverage? c = others.Select(r => r.Coverage).FirstOrDefault(c => c != null);
        if (c == null)
        {
            return "";
        }
        if (!c.Contiguous)
        {
            return string.Create(CultureInfo.InvariantCulture, $" (its rows: those with (row - 1) mod {shard.Count} == {shard.Index})");
        }
        var rows = c.ExpectedRows(shard).ToList();
        return string.Create(CultureInfo.InvariantCulture, $" (its {rows.Count} rows: {RowDigest.Describe(rows, shard.Count)})");
    }

    /// <summary>Metadata checks of complete shards (same audit, indices complete: checked before): adds one line per problem.</summary>
    public static async Task CheckAsync(IReadOnlyList<(RunFolder Folder, RunManifest Run)> shards, List<string> problems, CancellationToken ct)
    {
        foreach ((RunFolder folder, RunManifest run) in shards)
        {
            string name = Name(folder, run);
            if (run.Coverage is not { } coverage)
            {
                problems.Add($"{name}: run.json records no row coverage (written by an older version of this tool): audit the shard again");
                continue;
            }
            PartCoverage[] parts;
            try
            {
                parts = await RunParts.ReadAllAsync(folder, ct).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                problems.Add($"{name}: {ex.Message}");
                continue;
            }
            foreach (PartCoverage p in parts)
            {
                await CheckPartAsync(folder, run, name, p, problems, ct).ConfigureAwait(false);
            }
            long covered = parts.Sum(p => p.RowCount);
            if (covered != coverage.ShardRows || covered != run.Counts.ManifestRows)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: its committed parts hold {covered} rows, its run.json says {run.Counts.ManifestRows} and the shard's rows are {coverage.ShardRows}")
                    + MissingRows(run, coverage, parts));
            }
        }
        var recorded = shards.Where(s => s.Run.Coverage != null).ToList();
        if (recorded.Count == shards.Count && recorded.Count > 0)
        {
            RowCoverage first = recorded[0].Run.Coverage!;
            foreach ((RunFolder f, RunManifest r) in recorded.Where(s => s.Run.Coverage!.DatasetRows != first.DatasetRows || s.Run.Coverage!.DatasetDigest != first.DatasetDigest))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Name(f, r)} read another set of dataset rows ({r.Coverage!.DatasetRows} rows, digest {r.Coverage.DatasetDigest}) than {Name(recorded[0].Folder, recorded[0].Run)} ({first.DatasetRows}, {first.DatasetDigest})"));
            }
            long sum = recorded.Sum(s => s.Run.Coverage!.ShardRows);
            ulong digest = recorded.Aggregate(0UL, (acc, s) => unchecked(acc + RowDigest.Parse(s.Run.Coverage!.ShardDigest)));
            if (sum != first.DatasetRows || digest != RowDigest.Parse(first.DatasetDigest))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"the shards' rows ({sum}) do not add up to the dataset's rows ({first.DatasetRows}) once each"));
            }
        }
    }

    private static async Task CheckPartAsync(RunFolder folder, RunManifest run, string name, PartCoverage p, List<string> problems, CancellationToken ct)
    {
        string results = folder.ResultPartPath(p.Index);
        string part = Path.GetFileName(results);
        (IReadOnlyDictionary<string, string> meta, long rows) = await ReadMetaAsync(results, ct).ConfigureAwait(false);
        if (meta.GetValueOrDefault(ResultsSchema.RunIdKey) != run.RunId || meta.GetValueOrDefault(ResultsSchema.ConfigHashKey) != run.ConfigSha256)
        {
            problems.Add($"{name}: results/{part} belongs to run {meta.GetValueOrDefault(ResultsSchema.RunIdKey) ?? "(none)"} with config sha256 {Short(meta.GetValueOrDefault(ResultsSchema.ConfigHashKey))}, not to the shard's run {run.RunId} ({Short(run.ConfigSha256)}): a foreign part"
                + RowRange(p));
        }
        if (rows != p.ResultRows)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: results/{part} holds {rows} result rows, its metadata says {p.ResultRows}") + RowRange(p));
        }
        string errors = folder.ErrorPartPath(p.Index);
        long errorRows = File.Exists(errors) ? PartCommitter.ReadErrors(errors).Count : 0;
        if (errorRows != p.ErrorRows)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: errors/{Path.GetFileName(errors)} holds {errorRows} error rows, results/{part} says {p.ErrorRows}") + RowRange(p));
        }
        string explanations = folder.ExplanationPartPath(p.Index);
        if (!File.Exists(explanations))
        {
            problems.Add($"{name}: explanations/{part} is missing" + RowRange(p));
        }
        else if ((await ReadMetaAsync(explanations, ct).ConfigureAwait(false)).Meta.GetValueOrDefault(ResultsSchema.RunIdKey) != run.RunId)
        {
            problems.Add($"{name}: explanations/{part} belongs to another run: a foreign part" + RowRange(p));
        }
        if (p.RowCount > 0 && run.Shard is { } shard && (!shard.Contains(p.FirstRow) || !shard.Contains(p.LastRow)))
        {
            problems.Add($"{name}: results/{part} covers rows outside the shard" + RowRange(p));
        }
    }

    private static string RowRange(PartCoverage p) => string.Create(CultureInfo.InvariantCulture, $" (rows {p.FirstRow}..{p.LastRow})");

    private static string Short(string? hash) => hash == null ? "(none)" : hash[..Math.Min(12, hash.Length)];

    private static string MissingRows(RunManifest run, RowCoverage coverage, PartCoverage[] parts)
    {
        if (!coverage.Contiguous)
        {
            return "";
        }
        var ranges = parts.Where(p => p.RowCount > 0).Select(p => (p.FirstRow, p.LastRow)).ToArray();
        var missing = coverage.ExpectedRows(run.Shard).Where(r => !ranges.Any(x => r >= x.FirstRow && r <= x.LastRow)).ToList();
        return missing.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; {missing.Count} rows are in no committed part: {RowDigest.Describe(missing, run.Shard?.Count ?? 1)}");
    }

    private static async Task<(IReadOnlyDictionary<string, string> Meta, long Rows)> ReadMetaAsync(string path, CancellationToken ct)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct).ConfigureAwait(false);
        return (reader.CustomMetadata, reader.Metadata?.NumRows ?? 0);
    }

    /// <summary>Every merged row checked as it streams: in its shard, after the shard's previous row, and in the end each shard's rows equal to those it recorded.</summary>
    public sealed class Tracker(IReadOnlyList<(RunFolder Folder, RunManifest Run)> shards)
    {
        private readonly RowDigest[] digests = new RowDigest[shards.Count];
        private readonly long[] last = new long[shards.Count];

        public void Observe(int shard, long row)
        {
            (RunFolder folder, RunManifest run) = shards[shard];
            if (!(run.Shard?.Contains(row) ?? true) || row <= last[shard])
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"merge: {Name(folder, run)}: row {row} {(row <= last[shard] ? "appears twice or out of order" : "does not belong to the shard")}"));
            }
            last[shard] = row;
            digests[shard].Add(row);
        }

        public void Verify()
        {
            var problems = new List<string>();
            for (int i = 0; i < shards.Count; i++)
            {
                (RunFolder folder, RunManifest run) = shards[i];
                if (digests[i].Count != run.Coverage!.ShardRows || digests[i].Hex != run.Coverage.ShardDigest)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"merge: {Name(folder, run)}: its result and error rows ({digests[i].Count}) are not the rows the shard was meant to cover ({run.Coverage.ShardRows})"));
                }
            }
            if (problems.Count > 0)
            {
                throw new InvalidDataException(string.Join("; ", problems));
            }
        }
    }
}
