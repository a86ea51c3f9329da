using System.Globalization;
using System.Text;
using GradCamAudit.Results;

namespace GradCamAudit.Gates;

/// <summary>
/// <c>summary.md</c>: a Markdown job summary for CI pages and pull-request comments: the gate table (failed first),
/// the largest per-class rises of the flagged rate against the baseline, and the per-class figures folded away.
/// </summary>
public static class MarkdownSummary
{
    public static string Build(RunRates current, RunRates? baseline, IReadOnlyList<GateResult> gates)
    {
        static string Pct(double? v) => v.HasValue ? (100 * v.Value).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";
        static string Num(double? v) => v.HasValue ? v.Value.ToString("F1", CultureInfo.InvariantCulture) : "-";
        // A pipe escaped with one backslash stays in its cell; a line break would end the table row.
        static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        RunManifest run = current.Run;
        RateCounts all = current.Overall;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## Grad-CAM audit: {Cell(run.Config.Name)}");
        md.AppendLine();
        string line = string.Create(CultureInfo.InvariantCulture, $"Run `{run.RunId}`: {run.Counts.Audited} samples audited, {run.Counts.Errors} errors, accuracy {Pct(all.Rate(all.Correct))}, {all.Flagged} flagged (wrong, off-object), {all.RightForWrongReason} right for the wrong reason.");
        md.AppendLine(line + (baseline != null ? string.Create(CultureInfo.InvariantCulture, $" Baseline `{baseline.Run.RunId}`: {baseline.Overall.Flagged} flagged of {baseline.Overall.Judged} with a mask.") : " No baseline."));
        if (current.AcknowledgedSamples > 0)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"{current.AcknowledgedSamples} acknowledged samples (gates.acknowledged) are left out of the rates, counts and gates below.");
        }
        md.AppendLine();
        int failed = gates.Count(g => g.State == "fail"), warned = gates.Count(g => g.State == "warn"), passed = gates.Count(g => g.State == "pass"), skipped = gates.Count(g => g.State == "not_evaluated");
        int inconclusive = gates.Count(g => g.State == "inconclusive");
        md.AppendLine(CultureInfo.InvariantCulture, $"### Gates: {failed} failed, {warned} warnings, {inconclusive} inconclusive, {passed} passed, {skipped} not evaluated");
        md.AppendLine();
        if (gates.Count > 0)
        {
            md.AppendLine("| state | gate | scope | value | interval | limit |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- |");
            foreach (GateResult g in gates.OrderBy(g => g.State switch { "fail" => 0, "warn" => 1, "inconclusive" => 2, "pass" => 4, _ => 3 }).ThenBy(g => g.Severity == "major" ? 0 : 1)
                .ThenBy(g => g.Name, StringComparer.Ordinal).ThenBy(g => g.Scope, StringComparer.Ordinal))
            {
                string state = g.State switch { "fail" => "❌ fail", "warn" => "⚠️ warn", "pass" => "✅ pass", "inconclusive" => "❔ inconclusive", _ => "➖ not evaluated" } + (g.Severity != null ? $" ({g.Severity})" : "");
                string interval = g.Lower.HasValue ? $"{Num(g.Lower)} to {Num(g.Upper)}" + (g.State == "inconclusive" && g.Reason != null ? $" ({Cell(g.Reason)})" : "") : Cell(g.Reason ?? "-");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {state} | {g.Name} | {Cell(g.Scope)} | {Num(g.Value)} | {interval} | {Cell(g.LimitSource)} |");
            }
            md.AppendLine();
        }
        IReadOnlyList<string> names = run.Config.Dataset.Classes;
        if (baseline != null)
        {
            var rises = names.Select((name, k) =>
            {
                int b = baseline.Run.Config.Dataset.Classes.ToList().IndexOf(name);
                double? delta = b < 0 ? null : current.PerClass[k].MaskRate(current.PerClass[k].Flagged) - baseline.PerClass[b].MaskRate(baseline.PerClass[b].Flagged);
                return (name, delta);
            }).Where(r => r.delta > 0).OrderByDescending(r => r.delta).Take(5).ToList();
            md.AppendLine("### Top regressions (flagged rate, against the baseline)");
            md.AppendLine();
            if (rises.Count == 0)
            {
                md.AppendLine("No class's flagged rate rose.");
            }
            foreach ((string name, double? delta) in rises)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {Cell(name)}: +{Num(100 * delta)} points");
            }
            md.AppendLine();
        }
        md.AppendLine("<details><summary>Per class</summary>");
        md.AppendLine();
        md.AppendLine("| class | samples | accuracy | on-object | flagged | right for the wrong reason |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        for (int k = 0; k < names.Count; k++)
        {
            RateCounts c = current.PerClass[k];
            md.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(names[k])} | {c.Samples} | {Pct(c.Rate(c.Correct))} | {Pct(c.OnObjectRate)} | {c.Flagged} | {c.RightForWrongReason} |");
        }
        md.AppendLine();
        md.AppendLine("</details>");
        return md.ToString();
    }
}
