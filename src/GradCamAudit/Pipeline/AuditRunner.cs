using System.Diagnostics;
using GradCamAudit.Data;
using GradCamAudit.Data.Sources;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace GradCamAudit.Pipeline;

/// <summary>Per-run flags from the command line.</summary>
public sealed record RunRequest(long? Limit, bool Overwrite, bool Resume = false, string? TemplateDirectory = null, ShardSpec? Shard = null, IProgress<RunProgress>? Progress = null,
    HistoryOptions? History = null);

/// <summary>
/// One audit, start to finish: validate everything (config, manifest header, templates, output folder, weights, model
/// probe) before the output folder is touched; then mark the folder <c>running</c>, stream the rows through the
/// <see cref="StagePipeline"/> into committed parts, assemble errors.csv, render the report and mark the run
/// <c>complete</c>. A failure marks it <c>failed</c> with the reason and keeps every committed part; a killed run keeps
/// <c>running</c>, and <see cref="RunRequest.Resume"/> continues either after the last committed part.
/// </summary>
public static class AuditRunner
{
    /// <summary>The same, logging through a plain callback.</summary>
    public static Task<RunManifest> RunAsync(AuditOptions options, RunRequest request, Action<string> log, CancellationToken ct = default, PipelineHooks? hooks = null) =>
        RunAsync(options, request, new CallbackLogger(log), ct, hooks);

    public static async Task<RunManifest> RunAsync(AuditOptions options, RunRequest request, ILogger log, CancellationToken ct = default, PipelineHooks? hooks = null)
    {
        var total = Stopwatch.StartNew();
        if (request.Resume && request.Overwrite)
        {
            throw new UsageException("--resume continues the run in the output folder and --overwrite replaces it: give one of them");
        }
        if (request.Shard is { } shard)
        {
            // Every shard is a run folder of its own under the output folder, resumable like any other.
            options = options with { Output = new OutputOptions(Path.Combine(options.Output.Directory, shard.FolderName)) };
        }
        // The template first: it needs nothing, and a broken one must fail before the folder (or its lock) is touched.
        ReportBuilder.CheckTemplate(request.TemplateDirectory ?? options.Report.TemplateDirectory);
        var folder = new RunFolder(options.Output.Directory);
        using RunFolderLock writer = RunFolderLock.Acquire(folder.Directory, request.Resume ? "audit --resume" : "audit");
        if (writer.Stale is { } stale)
        {
            log.LogWarning("took over the stale lock of '{Folder}' left by {Holder}, which is gone (killed or crashed)", folder.Directory, stale);
        }
        RunFolderKind kind = folder.Inspect(out string? foreign);
        if (kind == RunFolderKind.Foreign)
        {
            throw new UsageException($"output folder '{folder.Directory}' is not a run folder of this tool: {foreign}; choose another --output");
        }
        RunManifest? previous = request.Resume && kind == RunFolderKind.Run ? LoadPrevious(folder) : null;
        if (kind != RunFolderKind.Empty && !request.Overwrite && previous == null)
        {
            throw new UsageException($"output folder '{folder.Directory}' is not empty; pass --overwrite to replace a previous run or --resume to continue it");
        }

        ISampleSource dataset = SampleSources.Open(options.Dataset, options.Audit.MaxImagePixels);
        string configHash = RunHashes.Config(options);
        string weightsHash = Hashing.ModelFiles(options.Model.Weights, options.Model.Head);
        string manifestHash = dataset.Fingerprint();
        if (previous != null)
        {
            RunHashes.CheckResumable(previous, configHash, manifestHash, weightsHash, dataset.ExtraColumns, options);
            if (previous.Limit != request.Limit || previous.Shard != request.Shard)
            {
                throw new ConfigException($"--resume: the folder's run had --limit {previous.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} and shard {previous.Shard?.ToString() ?? "none"}, this one {request.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} and {request.Shard?.ToString() ?? "none"}");
            }
            if (previous.Status == RunStatus.Complete)
            {
                log.LogInformation("the run in '{Folder}' is complete ({Rows} rows): nothing to resume", folder.Directory, previous.Counts.ManifestRows);
                return previous;
            }
            options = options with { Audit = options.Audit with { Threads = previous.Threads, BatchSize = previous.BatchSizeUsed } };
        }

        Torch.Initialise(options.Audit.Threads);
        torch.Device device = LoadedModel.ResolveDevice(options.Audit.Device);
        log.LogInformation("device {Device}, {Threads} threads; loading {Architecture} from {Weights}", device, options.Audit.Threads, options.Model.Architecture, options.Model.Weights);
        LoadedModel model = LoadedModel.Load(options.Model, device, options.FindingsSettings.MinMapSize); // targetLayer auto (or unset): the deepest stage reaching the minimum map size
        bool disposeModel = true;
        BatchScorer? disposeScorer = null;
        try
        {
            ExplainOptions explain = options.ExplainSettings;
            // Chosen by a hash of the id over the whole manifest, so shards and resumed runs choose the same samples.
            // One pass over the dataset at most (a count needs every valid id's hash), shared by the three selectors.
            // The interventions' per-class choice reads the same pass (the given label of every valid row beside its hash).
            var hashes = new Lazy<(int Label, ulong Hash)[]>(() => dataset.Read(request.Limit).Where(e => e.ErrorCode == null)
                .Select(e => (e.Label, SampleSelector.Hash(explain.Seed, e.Source.SampleId))).ToArray());
            SampleSelector? Selector(string? size) => size == null ? null : SampleSelector.Create(size, explain.Seed, () => hashes.Value.Select(h => h.Hash));
            FindingsOptions findings = options.FindingsSettings;
            var scorer = new BatchScorer(model, options.Model, options.Audit, options.Dataset.Classes, explain,
                Selector(explain.PerturbationSample), Selector(explain.FaithfulnessSample), Selector(explain.SanitySample),
                Explain.Interventions.InterventionPlan.Create(findings.Interventions, findings.InterventionCandidatesPerClass, findings.InterventionControlsPerClass,
                    options.Dataset.Classes.Count, () => hashes.Value));
            disposeScorer = scorer;
            (int camH, int camW) = scorer.Probe();
            log.LogInformation("target layer '{Target}' gives a {CamHeight}x{CamWidth} map at input {InputHeight}x{InputWidth}; Grad-CAM by {Method}{Check}",
                model.TargetPath, camH, camW, options.Model.InputHeight, options.Model.InputWidth, scorer.Method,
                scorer.ClosedFormDifference is double d ? $" (closed form vs autograd on a probe batch: max relative difference {d:E1})" : "");
            var warnings = CoarseMapWarnings(model, options.Model, camH, camW);
            foreach (string w in warnings)
            {
                log.LogWarning("{Warning}", w);
            }
            double loadSeconds = total.Elapsed.TotalSeconds;

            // Counted before the folder is touched: a manifest that cannot even be counted fails here, with last night's
            // run (which --overwrite would delete) and run.json as they were.
            long expectedRows = ExpectedRows(dataset, request);

            // Everything is validated: only now is the output folder changed.
            long skipThrough = 0;
            PartCoverage[] committed = [];
            if (previous != null)
            {
                committed = await RunParts.DiscardUncommittedAsync(folder, ct).ConfigureAwait(false);
                skipThrough = committed.Length == 0 ? 0 : committed[^1].LastRow;
                log.LogInformation("resuming run {RunId}: {Parts} committed parts ({Rows} rows, through manifest row {Row})", previous.RunId, committed.Length, committed.Sum(p => p.RowCount), skipThrough);
            }
            else if (kind == RunFolderKind.Run || kind == RunFolderKind.Unrelated)
            {
                folder.DeleteRunArtefacts();
            }
            Directory.CreateDirectory(folder.Directory);
            string runId = previous?.RunId ?? $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}";
            var run = new RunManifest(
                runId, ToolInfo.Version, RunStatus.Running, null, previous?.StartedUtc ?? DateTimeOffset.UtcNow, null,
                options.ConfigPath, configHash, weightsHash, dataset.Identity, manifestHash,
                device.ToString(), options.Audit.Threads, options.Audit.BatchSize, model.TargetPath, scorer.Method, camH, camW, warnings,
                new RunCounts(0, 0, 0, committed.Length), new RunTimings(0, 0, 0, 0, loadSeconds), options, dataset.ExtraColumns,
                request.Limit, request.Shard, Execution: RunExecution.Current(options.Audit));
            folder.SaveManifest(run);
            PausePoints.Reach("started");

            var metadata = new Dictionary<string, string> { [ResultsSchema.RunIdKey] = runId, [ResultsSchema.ConfigHashKey] = configHash };
            var committer = new PartCommitter(folder, dataset.ExtraColumns, options.ExplainSettings.MetricColumns, options.Audit.PartRows, metadata, committed.Length);
            var timings = new StageTimings();
            var decoder = new ImageDecoder(options.Model.InputHeight, options.Model.InputWidth, options.Model.Preprocess, options.Audit.MaxImagePixels,
                options.Dataset.SourceSettings.ExifOrientation, notice => log.LogInformation("{Notice}", notice), options.Audit.MaxFileBytes,
                new DecodeBudget(options.Audit.DecodeMemoryBytes));
            var pipeline = new StagePipeline(
                hooks?.Decoder?.Invoke(decoder) ?? decoder,
                hooks?.Scorer?.Invoke(scorer) ?? scorer,
                hooks?.Sink?.Invoke(new CommitSink(committer)) ?? new CommitSink(committer),
                options.Audit, timings, log, request.Progress, committed.Sum(p => p.RowCount), expectedRows);
            var pass = Stopwatch.StartNew();
            var coverage = new RowCoverageCounter(request.Shard);
            try
            {
                await pipeline.RunAsync(coverage.Observe(dataset.Read(request.Limit)).Where(e => e.Source.Row > skipThrough && (request.Shard?.Contains(e.Source.Row) ?? true)), ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                committer.Seal();
                disposeModel = pipeline.Settled;
                await MarkFailedAsync(folder, run with { BatchSizeUsed = pipeline.BatchSizeUsed }, ex, ct).ConfigureAwait(false);
                throw;
            }

            PartCoverage[] parts = await RunParts.ReadAllAsync(folder, ct).ConfigureAwait(false);
            RunParts.AssembleErrors(folder, parts);
            long errors = parts.Sum(p => p.ErrorRows), rows = parts.Sum(p => p.RowCount);
            run = run with
            {
                BatchSizeUsed = pipeline.BatchSizeUsed,
                Coverage = coverage.Result,
                Counts = new RunCounts(rows, rows - errors, errors, parts.Length, dataset.Skipped),
                Timings = new RunTimings(pass.Elapsed.TotalSeconds, timings.DecodeSeconds, timings.ComputeSeconds, timings.WriteSeconds, loadSeconds),
            };
            folder.SaveManifest(run);
            log.LogInformation("audited {Audited} of {Rows} rows ({Errors} errors) in {Seconds:F1} s (model load and probe {LoadSeconds:F1} s)",
                run.Counts.Audited, run.Counts.ManifestRows, run.Counts.Errors, pass.Elapsed.TotalSeconds, loadSeconds);
            if (scorer.Intervened > 0)
            {
                log.LogInformation("intervened on {Intervened} samples in this pass (object only and background only: two forwards each)", scorer.Intervened);
            }
            var complete = run with { Status = RunStatus.Complete, FinishedUtc = DateTimeOffset.UtcNow };
            try
            {
                ReportBuilder.Render(folder.Directory, request.TemplateDirectory, complete, request.History);
            }
            catch (Exception ex)
            {
                await MarkFailedAsync(folder, run, new InvalidOperationException($"report: {ex.Message}", ex), ct).ConfigureAwait(false);
                throw;
            }
            run = complete;
            folder.SaveManifest(run);
            log.LogInformation("report: {Report}", folder.ReportPath);
            return run;
        }
        finally
        {
            // A stage stuck in a native call past the grace period may still use the model and the scorer's tensors:
            // leave both to process exit (which then skips LibTorch's static destructors: Torch.ExitProcess).
            if (disposeModel)
            {
                disposeScorer?.Dispose();
                model.Dispose();
            }
        }
    }

    /// <summary>
    /// Rows this run will cover, for progress and ETA: the source's rows (a CSV manifest's non-empty lines: a record
    /// never spans lines), after --limit and the shard.
    /// </summary>
    private static long ExpectedRows(ISampleSource dataset, RunRequest request)
    {
        long lines = dataset.CountRows();
        long rows = Math.Max(0, request.Limit is long limit ? Math.Min(limit, lines) : lines);
        return request.Shard is { } shard ? (rows / shard.Count) + (rows % shard.Count > shard.Index ? 1 : 0) : rows;
    }

    private static RunManifest LoadPrevious(RunFolder folder)
    {
        try
        {
            return folder.LoadManifest() ?? throw new UsageException($"--resume: '{folder.Directory}' holds parts but no run.json, so what was run cannot be checked; use --overwrite to start again");
        }
        catch (InvalidDataException ex)
        {
            throw new UsageException($"--resume: {ex.Message}");
        }
    }

    private static async Task MarkFailedAsync(RunFolder folder, RunManifest run, Exception ex, CancellationToken ct)
    {
        try
        {
            PartCoverage[] parts = await RunParts.ReadAllAsync(folder, CancellationToken.None).ConfigureAwait(false);
            RunParts.AssembleErrors(folder, parts);
            long errors = parts.Sum(p => p.ErrorRows), rows = parts.Sum(p => p.RowCount);
            string reason = ex is OperationCanceledException && ct.IsCancellationRequested ? "cancelled" : ex.Message;
            folder.SaveManifest(run with { Status = RunStatus.Failed, FailureReason = reason, FinishedUtc = DateTimeOffset.UtcNow, Counts = new RunCounts(rows, rows - errors, errors, parts.Length) });
        }
        catch (Exception secondary) when (secondary is IOException or UnauthorizedAccessException)
        {
            // The disk that failed the run may refuse this too: run.json then still says "running", which resume accepts.
        }
    }

    private static List<string> CoarseMapWarnings(LoadedModel model, ModelOptions m, int camH, int camW)
    {
        var warnings = new List<string>();
        if (camH < 7 || camW < 7)
        {
            warnings.Add($"The target layer '{model.TargetPath}' gives only a {camH}x{camW} map at input {m.InputHeight}x{m.InputWidth}: too coarse to localise objects"
                + (model.FinerTarget != null ? $"; try the higher-resolution layer '{model.FinerTarget}' (model.targetLayer) or a larger input." : "; choose an earlier layer or a larger input."));
        }
        return warnings;
    }

    /// <summary>The write stage's sink: batches go to the part committer.</summary>
    private sealed class CommitSink(PartCommitter committer) : IResultSink
    {
        public Task AddAsync(ScoredBatch batch, CancellationToken ct) => committer.AddAsync(batch.Rows, batch.Errors, batch.Explanations, ct);

        public Task CompleteAsync(CancellationToken ct) => committer.CompleteAsync(evenIfEmpty: true, ct);
    }
}
