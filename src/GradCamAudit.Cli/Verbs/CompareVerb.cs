using System.CommandLine;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The compare verb: night over night, then the gates.</summary>
    private static Command CompareCommand()
    {
        var baseline = new Option<string>("--baseline") { Description = "The earlier run folder.", Required = true };
        var current = new Option<string>("--current") { Description = "The later run folder (comparison files are written into it).", Required = true };
        var failOnWarn = new Option<bool>("--fail-on-warn") { Description = "Exit 3 also when a gate of severity warn is beyond its limit." };
        var failIfNotEvaluated = new Option<bool>("--fail-if-not-evaluated") { Description = "Exit 3 also when a gate could not be evaluated." };
        var compareTemplates = new Option<string?>("--templates") { Description = "Folder holding a report.sbn that overrides the embedded template." };
        var compare = new Command("compare", "Compare two run folders night over night and evaluate the current run's gates (exit 3 when one fails).") { baseline, current, failOnWarn, failIfNotEvaluated, compareTemplates };
        compare.SetAction((pr, ct) => Guard(pr, log =>
        {
            Gate(GradCamAudit.Reporting.ComparedReport.Run(RunFolderOption(pr.GetValue(current), "--current")!, RunFolderOption(pr.GetValue(baseline), "--baseline"), log, null, TemplatesFolder(pr.GetValue(compareTemplates))),
                pr.GetValue(failOnWarn), pr.GetValue(failIfNotEvaluated), pr.GetValue(FailOnInconclusive));
        }));
        return compare;
    }
}
