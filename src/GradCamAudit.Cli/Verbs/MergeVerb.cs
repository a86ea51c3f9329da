using System.CommandLine;
using GradCamAudit.Pipeline;
using GradCamAudit.Reporting;
using GradCamAudit.Results;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The merge verb: shard run folders into one run, then the gates.</summary>
    private static Command MergeCommand()
    {
        var mergeOut = new Option<string>("--output") { Description = "Folder for the merged run.", Required = true };
        var mergeOverwrite = new Option<bool>("--overwrite") { Description = "Replace a previous run in the output folder." };
        var mergeTemplates = new Option<string?>("--templates") { Description = "Folder holding a report.sbn that overrides the embedded template." };
        var shardDirs = new Argument<string[]>("shards") { Description = "The shard run folders (shard-I-of-N), all of one audit.", Arity = ArgumentArity.ZeroOrMore };
        var shardsIn = new Option<string?>("--shards-in") { Description = "Instead of listing them: the folder the shards were given as --output (its shard-I-of-N folders are merged)." };
        var mergeShardCount = new Option<int?>("--shard-count") { Description = "With --shards-in: the audit's shard count N (default: the only N found)." };
        var mergeBaseline = new Option<string?>("--baseline") { Description = "A previous run folder: compare the merged run with it and gate against it." };
        var mergeHistory = new Option<string?>("--history") { Description = "A folder of earlier run folders for the trend chart." };
        var mergeFailOnWarn = new Option<bool>("--fail-on-warn") { Description = "Exit 3 also when a gate of severity warn is beyond its limit." };
        var mergeFailIfNotEvaluated = new Option<bool>("--fail-if-not-evaluated") { Description = "Exit 3 also when a gate could not be evaluated." };
        var merge = new Command("merge", "Merge the shard run folders of one audit into one run folder (results, errors, run.json, report), checking that every row is covered once, then evaluate the gates on it (exit 3 when one fails).")
        {
            mergeOut, mergeOverwrite, mergeTemplates, shardDirs, shardsIn, mergeShardCount, mergeBaseline, mergeHistory, mergeFailOnWarn, mergeFailIfNotEvaluated,
        };
        merge.SetAction((pr, ct) => Guard(pr, async log =>
        {
            string[] listed = pr.GetValue(shardDirs) ?? [];
            string? shardsRoot = pr.GetValue(shardsIn);
            if ((shardsRoot == null) == (listed.Length == 0))
            {
                throw new UsageException("merge: give the shard folders, or --shards-in DIR (not both)");
            }
            IReadOnlyList<string> folders = shardsRoot != null ? ShardFolders.Under(shardsRoot, pr.GetValue(mergeShardCount)) : listed;
            string? baselineDir = RunFolderOption(pr.GetValue(mergeBaseline), "--baseline");
            HistoryOptions? history = History(pr.GetValue(mergeHistory), 30);
            RunManifest merged = await RunMerger.MergeAsync(pr.GetValue(mergeOut)!, folders, pr.GetValue(mergeOverwrite), TemplatesFolder(pr.GetValue(mergeTemplates)), log, ct).ConfigureAwait(false);
            if (baselineDir != null || merged.Config.GatesSettings.Any)
            {
                Gate(GradCamAudit.Reporting.ComparedReport.Run(new RunFolder(pr.GetValue(mergeOut)!).Directory, baselineDir, log, history, TemplatesFolder(pr.GetValue(mergeTemplates))),
                    pr.GetValue(mergeFailOnWarn), pr.GetValue(mergeFailIfNotEvaluated), pr.GetValue(FailOnInconclusive));
            }
        }));
        return merge;
    }
}
