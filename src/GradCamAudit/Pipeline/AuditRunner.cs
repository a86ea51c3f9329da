using System.Diagnostics;
using System.Threading.Channels;
using GradCamAudit.Data;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Results;
using TorchSharp;

namespace GradCamAudit.Pipeline;

/// <summary>Per-run flags from the command line.</summary>
public sealed record RunRequest(long? Limit, bool Overwrite);

/// <summary>
/// The streaming audit: manifest → decode (parallel, bounded prefetch) → device (explain + score) → writers.
/// Stages are joined by bounded channels, so memory stays flat whatever the dataset size; a failure in any
/// stage completes the channels with the exception and surfaces from <see cref="RunAsync"/>.
/// </summary>
public static class AuditRunner
{
    /// <summary>Names of the files and folders a run writes into its output folder.</summary>
    public static readonly string[] Artefacts = ["results", "errors.csv", "run.json", "report.html"];

    public static async Task<RunManifest> RunAsync(AuditOptions options, RunRequest request, Action<string> log, CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        PrepareOutput(options.Output.Directory, request.Overwrite);
        var manifest = new ManifestReader(options.Dataset.Manifest, options.Dataset.Classes);
        Torch.Initialise();
        torch.Device device = LoadedModel.ResolveDevice(options.Audit.Device);
        log($"device {device}; loading {options.Model.Architecture} from {options.Model.Weights}");
        using LoadedModel model = LoadedModel.Load(options.Model, device);
        using var scorer = new BatchScorer(model, options.Model, options.Audit, options.Dataset.Classes);
        (int camH, int camW) = scorer.Probe();
        log($"target layer '{model.TargetPath}' gives a {camH}x{camW} map at input {options.Model.InputHeight}x{options.Model.InputWidth}; Grad-CAM by {scorer.Method}"
            + (scorer.ClosedFormDifference is double d ? $" (closed form vs autograd on a probe batch: max relative difference {d:E1})" : ""));
        var warnings = new List<string>();
        if (camH < 7 || camW < 7)
        {
            warnings.Add($"The target layer '{model.TargetPath}' gives only a {camH}x{camW} map at input {options.Model.InputHeight}x{options.Model.InputWidth}: too coarse to localise objects"
                + (model.FinerTarget != null ? $"; try the higher-resolution layer '{model.FinerTarget}' (model.targetLayer) or a larger input." : "; choose an earlier layer or a larger input."));
        }
        foreach (string w in warnings)
        {
            log("warning: " + w);
        }

        string runId = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}";
        string configHash = Hashing.Sha256File(options.ConfigPath);
        var metadata = new Dictionary<string, string> { [ResultsSchema.RunIdKey] = runId, [ResultsSchema.ConfigHashKey] = configHash };
        var writer = new ParquetPartWriter(Path.Combine(options.Output.Directory, "results"), manifest.ExtraColumns, options.Audit.PartRows, metadata);
        using var errors = new ErrorWriter(Path.Combine(options.Output.Directory, "errors.csv"));
        var decoder = new ImageDecoder(options.Model.InputHeight, options.Model.InputWidth, options.Model.Preprocess);
        var timings = new StageTimings();

        var decoded = Channel.CreateBounded<DecodedBatch>(new BoundedChannelOptions(options.Audit.PrefetchBatches) { SingleReader = true, SingleWriter = true });
        var scored = Channel.CreateBounded<ScoredBatch>(new BoundedChannelOptions(options.Audit.PrefetchBatches) { SingleReader = true, SingleWriter = true });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);

        Task produce = Task.Run(() => ProduceAsync(manifest, request.Limit, decoder, options.Audit, decoded.Writer, timings, cts.Token), cts.Token);
        Task compute = Task.Run(() => ComputeAsync(scorer, decoded.Reader, scored.Writer, timings, log, cts.Token), cts.Token);
        Task write = Task.Run(() => WriteAsync(writer, errors, scored.Reader, timings, cts.Token), cts.Token);
        try
        {
            await Task.WhenAll(produce, compute, write).ConfigureAwait(false);
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            throw;
        }

        var counts = new RunCounts(writer.RowsWritten + errors.Count, writer.RowsWritten, errors.Count, writer.PartsWritten);
        var run = new RunManifest(
            runId, ToolInfo.Version, DateTimeOffset.UtcNow, options.ConfigPath, configHash,
            Hashing.Sha256File(options.Model.Weights), options.Dataset.Manifest, Hashing.Sha256File(options.Dataset.Manifest),
            device.ToString(), model.TargetPath, scorer.Method, camH, camW, warnings, counts,
            new RunTimings(total.Elapsed.TotalSeconds, timings.DecodeSeconds, timings.ComputeSeconds, timings.WriteSeconds),
            options, manifest.ExtraColumns);
        run.Save(Path.Combine(options.Output.Directory, "run.json"));
        log($"audited {counts.Audited} of {counts.ManifestRows} rows ({counts.Errors} errors) in {total.Elapsed.TotalSeconds:F1} s");
        return run;
    }

    /// <summary>Refuses a non-empty output folder unless overwriting; with overwrite removes only the run's own artefacts.</summary>
    public static void PrepareOutput(string directory, bool overwrite)
    {
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            if (!overwrite)
            {
                throw new UsageException($"output folder '{directory}' is not empty; pass --overwrite to replace a previous run");
            }
            foreach (string name in Artefacts)
            {
                string p = Path.Combine(directory, name);
                if (Directory.Exists(p))
                {
                    Directory.Delete(p, recursive: true);
                }
                else if (File.Exists(p))
                {
                    File.Delete(p);
                }
            }
        }
        Directory.CreateDirectory(directory);
    }

    private static async Task ProduceAsync(ManifestReader manifest, long? limit, ImageDecoder decoder, AuditSettings settings, ChannelWriter<DecodedBatch> output, StageTimings timings, CancellationToken ct)
    {
        try
        {
            var pending = new List<ManifestEntry>(settings.BatchSize);
            var errors = new List<SampleError>();
            foreach (ManifestEntry entry in manifest.Read(limit))
            {
                if (entry.ErrorCode != null)
                {
                    errors.Add(new SampleError(entry.Source.Row, entry.Source.SampleId, entry.Source.Image, entry.ErrorCode, entry.ErrorDetail ?? ""));
                    continue;
                }
                pending.Add(entry);
                if (pending.Count == settings.BatchSize)
                {
                    await output.WriteAsync(Decode(pending, errors, decoder, settings.DecodeWorkers, timings), ct).ConfigureAwait(false);
                    pending = new List<ManifestEntry>(settings.BatchSize);
                    errors = [];
                }
            }
            if (pending.Count > 0 || errors.Count > 0)
            {
                await output.WriteAsync(Decode(pending, errors, decoder, settings.DecodeWorkers, timings), ct).ConfigureAwait(false);
            }
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
            throw;
        }
    }

    private static DecodedBatch Decode(List<ManifestEntry> entries, List<SampleError> errors, ImageDecoder decoder, int workers, StageTimings timings)
    {
        long start = Stopwatch.GetTimestamp();
        var results = new DecodedSample?[entries.Count];
        var failures = new SampleError?[entries.Count];
        Parallel.For(0, entries.Count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            ManifestEntry e = entries[i];
            try
            {
                results[i] = decoder.Decode(e);
            }
            catch (SampleException ex)
            {
                failures[i] = new SampleError(e.Source.Row, e.Source.SampleId, e.Source.Image, ex.ReasonCode, ex.Message);
            }
        });
        errors.AddRange(failures.Where(f => f != null)!);
        timings.AddDecode(Stopwatch.GetElapsedTime(start));
        return new DecodedBatch(results.Where(r => r != null).ToArray()!, errors);
    }

    private static async Task ComputeAsync(BatchScorer scorer, ChannelReader<DecodedBatch> input, ChannelWriter<ScoredBatch> output, StageTimings timings, Action<string> log, CancellationToken ct)
    {
        try
        {
            long done = 0;
            long lastLog = Stopwatch.GetTimestamp();
            await foreach (DecodedBatch batch in input.ReadAllAsync(ct).ConfigureAwait(false))
            {
                long start = Stopwatch.GetTimestamp();
                ScoredBatch result = scorer.Score(batch);
                timings.AddCompute(Stopwatch.GetElapsedTime(start));
                done += batch.Samples.Count + batch.Errors.Count;
                if (Stopwatch.GetElapsedTime(lastLog) > TimeSpan.FromSeconds(5))
                {
                    log($"{done} rows processed");
                    lastLog = Stopwatch.GetTimestamp();
                }
                await output.WriteAsync(result, ct).ConfigureAwait(false);
            }
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
            throw;
        }
    }

    private static async Task WriteAsync(ParquetPartWriter writer, ErrorWriter errors, ChannelReader<ScoredBatch> input, StageTimings timings, CancellationToken ct)
    {
        await foreach (ScoredBatch batch in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            long start = Stopwatch.GetTimestamp();
            foreach (ResultRow row in batch.Rows)
            {
                await writer.AddAsync(row, ct).ConfigureAwait(false);
            }
            foreach (SampleError e in batch.Errors)
            {
                errors.Write(e);
            }
            timings.AddWrite(Stopwatch.GetElapsedTime(start));
        }
        long flush = Stopwatch.GetTimestamp();
        await writer.FlushAsync(ct).ConfigureAwait(false);
        timings.AddWrite(Stopwatch.GetElapsedTime(flush));
    }
}
