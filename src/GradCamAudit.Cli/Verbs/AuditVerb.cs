using System.CommandLine;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The audit verb: config, output, resume or overwrite, shards, baseline and gates.</summary>
    private static Command AuditCommand()
    {
        var config = new Option<string>("--config") { Description = "Audit config (JSON).", Required = true };
        var output = new Option<string?>("--output") { Description = "Output folder (default: output.directory from the config)." };
        var limit = new Option<long?>("--limit") { Description = "Audit only the first N data rows of the manifest." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a previous run in a non-empty output folder (only the run's own files are removed)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the killed or failed run in the output folder after its last committed part." };
        var auditTemplates = new Option<string?>("--templates") { Description = "Folder holding a report.sbn that overrides the embedded template." };
        var set = new Option<string[]>("--set") { Description = "Override a config key, repeatable: --set audit.batchSize=64 (values read as JSON, else as strings; after GRADCAM_AUDIT__section__key environment variables).", AllowMultipleArgumentsPerToken = false };
        var auditBaseline = new Option<string?>("--baseline") { Description = "A previous run folder to compare with (comparison.json, comparison.parquet) and gate against." };
        var auditHistory = new Option<string?>("--history") { Description = "A folder of earlier run folders: the report charts the headline figures over them." };
        var auditHistoryCount = new Option<int>("--history-count") { Description = "How many earlier runs the trend chart shows.", DefaultValueFactory = _ => 30 };
        var auditFailOnWarn = new Option<bool>("--fail-on-warn") { Description = "Exit 3 also when a gate of severity warn is beyond its limit." };
        var auditFailIfNotEvaluated = new Option<bool>("--fail-if-not-evaluated") { Description = "Exit 3 also when a gate could not be evaluated (small class, no baseline)." };
        var shard = new Option<string?>("--shard") { Description = "Audit one shard, I/N: rows with (row - 1) mod N == I, into <output>/shard-I-of-N/ ('auto': index and count from the job environment)." };
        var shardIndex = new Option<int?>("--shard-index") { Description = "Shard index I (default: JOB_COMPLETION_INDEX, or SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN)." };
        var shardCount = new Option<int?>("--shard-count") { Description = "Shard count N (default: SLURM_ARRAY_TASK_COUNT or GRADCAM_AUDIT_SHARD_COUNT)." };
        var audit = new Command("audit", "Run the audit and write results/, errors/, errors.csv, run.json and report.html.")
        {
            config, output, limit, overwrite, resume, auditTemplates, set, shard, shardIndex, shardCount, auditBaseline, auditFailOnWarn, auditFailIfNotEvaluated, auditHistory, auditHistoryCount,
        };
        audit.SetAction((pr, ct) => Guard(pr, async log =>
        {
            if (pr.GetValue(resume) && pr.GetValue(overwrite))
            {
                throw new UsageException("--resume and --overwrite exclude each other: --resume continues the run in the folder, --overwrite replaces it");
            }
            AuditOptions options = AuditConfig.Load(pr.GetValue(config)!, pr.GetValue(output), pr.GetValue(set) ?? [], EnvironmentVariables());
            long? n = pr.GetValue(limit);
            if (n is <= 0)
            {
                throw new UsageException($"--limit must be positive, got {n}");
            }
            ShardSpec? part = ShardResolver.Resolve(pr.GetValue(shard), pr.GetValue(shardIndex), pr.GetValue(shardCount), Environment.GetEnvironmentVariable);
            string? baselineDir = RunFolderOption(pr.GetValue(auditBaseline), "--baseline");
            HistoryOptions? history = History(pr.GetValue(auditHistory), pr.GetValue(auditHistoryCount));
            RunManifest? finished = null;
            await CliLogging.WithProgressAsync(log, live: !pr.GetValue(Quiet) && pr.GetValue(LogFormat) != "json", async progress =>
                finished = await AuditRunner.RunAsync(options, new RunRequest(n, pr.GetValue(overwrite), pr.GetValue(resume), TemplatesFolder(pr.GetValue(auditTemplates)), part, progress, history), log, ct)
                    .ConfigureAwait(false)).ConfigureAwait(false);
            if (part != null && (baselineDir != null || options.GatesSettings.Any))
            {
                // A shard's rates are a third of the evidence: gating it would fail (and retry) shards of a good night.
                log.LogInformation("shard {Shard}: gates and --baseline are evaluated by merge on the merged run, not per shard", part);
            }
            else if (baselineDir != null || options.GatesSettings.Any)
            {
                Gate(GradCamAudit.Reporting.ComparedReport.Run(new RunFolder(finished!.Config.Output.Directory).Directory, baselineDir, log, history, TemplatesFolder(pr.GetValue(auditTemplates))),
                    pr.GetValue(auditFailOnWarn), pr.GetValue(auditFailIfNotEvaluated), pr.GetValue(FailOnInconclusive));
            }
        }));
        return audit;
    }
}
