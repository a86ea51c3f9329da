using System.Globalization;
using GradCamAudit.Options;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;
using Parquet;
using Parquet.Serialization;

namespace GradCamAudit.Pipeline;

/// <summary>
/// <c>merge</c>: shard run folders of one audit into one run folder equal in content to a single-machine run (the
/// same rows sorted by row): parts rewritten in row order under the merged run id with the same commit protocol,
/// errors likewise, run.json with merged counts and per-shard timings, report.html. Reads the shards' run folders
/// only, never the model; reads one part per shard at a time.
/// </summary>
public static class RunMerger
{
    public static async Task<RunManifest> MergeAsync(string output, IReadOnlyList<string> shardDirectories, bool overwrite, string? templateDirectory, ILogger log, CancellationToken ct = default)
    {
        var shards = new List<(RunFolder Folder, RunManifest Run)>();
        var problems = new List<string>();
        foreach (string dir in shardDirectories)
        {
            var folder = new RunFolder(dir);
            RunManifest? run = null;
            try
            {
                run = folder.LoadManifest();
            }
            catch (InvalidDataException ex)
            {
                problems.Add(ex.Message);
            }
            if (run == null)
            {
                problems.Add($"'{dir}' is not a run folder (no run.json)");
                continue;
            }
            if (run.Status != RunStatus.Complete)
            {
                problems.Add($"{ShardReconciler.Name(folder, run)} is not complete (status {run.Status}{(run.FailureReason != null ? ": " + run.FailureReason : "")}): its rows are not merged{(run.Shard is { } s ? ShardReconciler.RowsOf(s, [run]) : "")}; resume it first");
            }
            if (run.Shard == null)
            {
                problems.Add($"'{dir}' is not a shard (it was audited without --shard)");
            }
            shards.Add((folder, run));
        }
        if (shards.Count > 0)
        {
            RunManifest first = shards[0].Run;
            foreach ((RunFolder f, RunManifest r) in shards.Skip(1))
            {
                string other = $"{ShardReconciler.Name(f, r)} belongs to another audit than {ShardReconciler.Name(shards[0].Folder, first)}";
                if (r.ConfigSha256 != first.ConfigSha256)
                {
                    problems.Add($"{other}: the config sha256 differs ({r.ConfigSha256[..12]} vs {first.ConfigSha256[..12]}); keys: {string.Join("; ", RunIdentity.Differences(r.Config, first.Config))}");
                }
                if (r.ManifestSha256 != first.ManifestSha256)
                {
                    problems.Add($"{other}: the dataset (manifest) sha256 differs ({r.ManifestSha256[..12]} vs {first.ManifestSha256[..12]})");
                }
                if (r.WeightsSha256 != first.WeightsSha256)
                {
                    problems.Add($"{other}: the weights sha256 differs ({r.WeightsSha256[..12]} vs {first.WeightsSha256[..12]})");
                }
                if (r.Limit != first.Limit || !r.ExtraColumns.SequenceEqual(first.ExtraColumns, StringComparer.Ordinal))
                {
                    problems.Add($"'{f.Directory}' ran with another --limit or other pass-through columns than '{shards[0].Folder.Directory}'");
                }
            }
            int[] counts = shards.Where(s => s.Run.Shard != null).Select(s => s.Run.Shard!.Count).Distinct().ToArray();
            if (counts.Length > 1)
            {
                problems.Add($"the shards disagree on the shard count: {string.Join(", ", counts)}");
            }
            else if (counts.Length == 1)
            {
                var indices = shards.Where(s => s.Run.Shard != null).Select(s => s.Run.Shard!.Index).ToList();
                var missing = Enumerable.Range(0, counts[0]).Except(indices).ToList();
                var duplicated = indices.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                foreach (int m in missing)
                {
                    problems.Add($"shard {m} of {counts[0]} is missing (no run folder given for it){ShardReconciler.RowsOf(new ShardSpec(m, counts[0]), shards.Select(s => s.Run))}");
                }
                if (duplicated.Count > 0)
                {
                    problems.Add($"shard(s) {string.Join(", ", duplicated)} given more than once");
                }
            }
        }
        else
        {
            problems.Add("give the shard folders to merge");
        }
        if (problems.Count == 0)
        {
            await ShardReconciler.CheckAsync(shards, problems, ct).ConfigureAwait(false);
        }
        if (problems.Count > 0)
        {
            throw new ConfigException(problems.Select(p => "merge: " + p).ToArray());
        }
        ReportBuilder.CheckTemplate(templateDirectory ?? shards[0].Run.Config.Report.TemplateDirectory);

        var target = new RunFolder(output);
        using RunFolderLock writer = RunFolderLock.Acquire(target.Directory, "merge");
        RunFolderKind kind = target.Inspect(out string? foreign);
        if (kind == RunFolderKind.Foreign)
        {
            throw new UsageException($"merge: output folder '{target.Directory}' is not a run folder of this tool: {foreign}");
        }
        if (kind != RunFolderKind.Empty && !overwrite)
        {
            throw new UsageException($"merge: output folder '{target.Directory}' is not empty; pass --overwrite to replace it");
        }
        target.DeleteRunArtefacts();
        Directory.CreateDirectory(target.Directory);

        shards.Sort((a, b) => a.Run.Shard!.Index.CompareTo(b.Run.Shard!.Index));
        RunManifest basis = shards[0].Run;
        string runId = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-merged-{Guid.NewGuid().ToString("N")[..8]}";
        var merged = basis with
        {
            RunId = runId,
            Status = RunStatus.Running,
            FailureReason = null,
            StartedUtc = shards.Min(s => s.Run.StartedUtc),
            FinishedUtc = null,
            Shard = null,
            BatchSizeUsed = shards.Min(s => s.Run.BatchSizeUsed),
            Warnings = shards.SelectMany(s => s.Run.Warnings).Distinct(StringComparer.Ordinal).ToList(),
            Config = basis.Config with { Output = new OutputOptions(target.Directory) },
            MergedShards = shards.Select(s => new ShardRun(s.Run.Shard!.Index, s.Run.RunId, s.Run.Device, s.Run.Counts.ManifestRows, s.Run.Timings, s.Run.Execution)).ToList(),
            Coverage = basis.Coverage! with { ShardRows = basis.Coverage!.DatasetRows, ShardDigest = basis.Coverage.DatasetDigest },
            Execution = null,
            Timings = new RunTimings(
                shards.Max(s => s.Run.Timings.TotalSeconds), shards.Sum(s => s.Run.Timings.DecodeSeconds), shards.Sum(s => s.Run.Timings.ComputeSeconds),
                shards.Sum(s => s.Run.Timings.WriteSeconds), shards.Max(s => s.Run.Timings.LoadSeconds)),
        };
        target.SaveManifest(merged);

        var metadata = new Dictionary<string, string> { [ResultsSchema.RunIdKey] = runId, [ResultsSchema.ConfigHashKey] = basis.ConfigSha256 };
        var committer = new PartCommitter(target, basis.ExtraColumns, basis.Config.ExplainSettings.MetricColumns, basis.Config.Audit.PartRows, metadata);
        var streams = shards.Select(s => new ShardStream(s.Folder)).ToList();
        var tracker = new ShardReconciler.Tracker(shards);
        try
        {
            foreach (ShardStream s in streams)
            {
                await s.MoveNextAsync(ct).ConfigureAwait(false);
            }
            while (true)
            {
                ShardStream? next = streams.Where(s => s.Current != null).MinBy(s => s.Current!.Value.Row);
                if (next == null)
                {
                    break;
                }
                (long row, IDictionary<string, object?>? result, SampleError? error) = next.Current!.Value;
                tracker.Observe(streams.IndexOf(next), row);
                IReadOnlyList<IDictionary<string, object?>> explained = result == null ? [] : await next.ExplanationsOfAsync(row, ct).ConfigureAwait(false);
                await committer.AddRawAsync(result == null ? [] : [result], error == null ? [] : [error], explained, ct).ConfigureAwait(false);
                await next.MoveNextAsync(ct).ConfigureAwait(false);
            }
            await committer.CompleteAsync(evenIfEmpty: true, ct).ConfigureAwait(false);
            tracker.Verify();
        }
        catch (InvalidDataException ex)
        {
            // A shard whose rows do not reconcile leaves a failed merged run, never a complete one.
            target.SaveManifest(merged with { Status = RunStatus.Failed, FailureReason = ex.Message, FinishedUtc = DateTimeOffset.UtcNow });
            throw;
        }

        PartCoverage[] parts = await RunParts.ReadAllAsync(target, ct).ConfigureAwait(false);
        RunParts.AssembleErrors(target, parts);
        long rows = parts.Sum(p => p.RowCount), errors = parts.Sum(p => p.ErrorRows);
        merged = merged with { Counts = new RunCounts(rows, rows - errors, errors, parts.Length) };
        target.SaveManifest(merged);
        merged = merged with { Status = RunStatus.Complete, FinishedUtc = DateTimeOffset.UtcNow };
        ReportBuilder.Render(target.Directory, templateDirectory, merged);
        target.SaveManifest(merged);
        log.LogInformation("merged {Shards} shards: {Rows} rows ({Errors} errors) into {Folder}", shards.Count, rows, errors, target.Directory);
        return merged;
    }

    /// <summary>One shard's rows in row order: its result parts (one at a time) interleaved with its errors, and the explanation rows of each result row.</summary>
    private sealed class ShardStream(RunFolder folder)
    {
        private readonly Queue<string> parts = new(folder.ResultParts());
        private readonly Queue<string> explanationParts = new(folder.ExplanationParts());
        private readonly Queue<IDictionary<string, object?>> explanations = new();
        private readonly Queue<SampleError> errors = new(File.Exists(folder.ErrorsCsvPath) ? PartCommitter.ReadErrors(folder.ErrorsCsvPath) : []);
        private readonly Queue<IDictionary<string, object?>> results = new();

        public (long Row, IDictionary<string, object?>? Result, SampleError? Error)? Current { get; private set; }

        public async Task MoveNextAsync(CancellationToken ct)
        {
            while (results.Count == 0 && parts.Count > 0)
            {
                await using FileStream stream = File.OpenRead(parts.Dequeue());
                var data = await ParquetSerializer.DeserializeUntypedAsync(stream, new ParquetOptions(), cancellationToken: ct).ConfigureAwait(false);
                foreach (IDictionary<string, object> row in data.Data.OrderBy(r => Convert.ToInt64(r["row"], CultureInfo.InvariantCulture)))
                {
                    results.Enqueue(Normalise(row));
                }
            }
            long resultRow = results.Count > 0 ? Convert.ToInt64(results.Peek()["row"], CultureInfo.InvariantCulture) : long.MaxValue;
            long errorRow = errors.Count > 0 ? errors.Peek().Row : long.MaxValue;
            Current = resultRow == long.MaxValue && errorRow == long.MaxValue ? null
                : resultRow < errorRow ? (resultRow, results.Dequeue(), null)
                : (errorRow, null, errors.Dequeue());
        }

        /// <summary>The explanation rows of result row <paramref name="row"/> (they are in the part of that row, in row order).</summary>
        public async Task<IReadOnlyList<IDictionary<string, object?>>> ExplanationsOfAsync(long row, CancellationToken ct)
        {
            var list = new List<IDictionary<string, object?>>();
            while (true)
            {
                while (explanations.Count == 0 && explanationParts.Count > 0)
                {
                    await using FileStream stream = File.OpenRead(explanationParts.Dequeue());
                    var data = await ParquetSerializer.DeserializeUntypedAsync(stream, new ParquetOptions(), cancellationToken: ct).ConfigureAwait(false);
                    foreach (IDictionary<string, object> r in data.Data)
                    {
                        explanations.Enqueue(Normalise(r));
                    }
                }
                long next = explanations.Count > 0 ? Convert.ToInt64(explanations.Peek()["row"], CultureInfo.InvariantCulture) : long.MaxValue;
                if (next > row)
                {
                    return list;
                }
                IDictionary<string, object?> e = explanations.Dequeue();
                if (next == row)
                {
                    list.Add(e);
                }
            }
        }

        /// <summary>List columns come back as generic lists; the schema writes float arrays.</summary>
        private static IDictionary<string, object?> Normalise(IDictionary<string, object> row)
        {
            var copy = row.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal);
            foreach (string key in new[] { "pred_cam", "true_cam", "cam" })
            {
                if (copy.TryGetValue(key, out object? v) && v is not float[] && v is System.Collections.IEnumerable e)
                {
                    copy[key] = e.Cast<object>().Select(x => Convert.ToSingle(x, CultureInfo.InvariantCulture)).ToArray();
                }
            }
            return copy;
        }
    }
}
