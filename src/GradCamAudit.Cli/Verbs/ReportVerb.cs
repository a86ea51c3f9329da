using System.CommandLine;
using GradCamAudit.Reporting;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The report verb: re-render report.html from a run folder.</summary>
    private static Command ReportCommand()
    {
        var run = new Option<string>("--run") { Description = "A finished run's output folder.", Required = true };
        var templates = new Option<string?>("--templates") { Description = "Folder of Scriban templates overriding the embedded ones." };
        var reportHistory = new Option<string?>("--history") { Description = "A folder of earlier run folders for the trend chart." };
        var reportHistoryCount = new Option<int>("--history-count") { Description = "How many earlier runs the trend chart shows.", DefaultValueFactory = _ => 30 };
        var report = new Command("report", "Re-render report.html from a finished run's results (no model needed).") { run, templates, reportHistory, reportHistoryCount };
        report.SetAction((pr, ct) => Guard(pr, log =>
        {
            string path = ReportBuilder.Render(Path.GetFullPath(pr.GetValue(run)!), TemplatesFolder(pr.GetValue(templates)), null,
                History(pr.GetValue(reportHistory), pr.GetValue(reportHistoryCount)));
            log.LogInformation("report: {Report}", path);
            return Task.CompletedTask;
        }));
        return report;
    }
}
