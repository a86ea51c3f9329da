using GradCamAudit.Gates;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Reporting;

/// <summary>
/// Night over night as the verbs run it: <see cref="RunComparer.Run"/> (comparison files, gates, summary.md), then the
/// report and summary.json rendered again with the same template as the audit's own report, so they take up the gates
/// and the comparison.
/// </summary>
public static class ComparedReport
{
    public static IReadOnlyList<GateResult> Run(string currentDirectory, string? baselineDirectory, ILogger log, HistoryOptions? history = null, string? templateDirectory = null)
    {
        IReadOnlyList<GateResult> gates = RunComparer.Run(currentDirectory, baselineDirectory, log, SummaryStore.Rates);
        ReportBuilder.Render(currentDirectory, templateDirectory, null, history);
        return gates;
    }
}
