using System.CommandLine;
using GradCamAudit.Pipeline;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The suggest-gates verb: a gates section from a run's own rates.</summary>
    private static Command SuggestGatesCommand()
    {
        var suggestRun = new Option<string>("--run") { Description = "A run folder whose rates the gates start from.", Required = true };
        var margin = new Option<double>("--margin") { Description = "Points of slack around today's rates.", DefaultValueFactory = _ => 5.0 };
        var suggest = new Command("suggest-gates", "Suggest a gates section from a run's own rates (printed, and written to suggested-gates.json in the run folder).") { suggestRun, margin };
        suggest.SetAction((pr, ct) => Guard(pr, log =>
        {
            string dir = RunFolderOption(pr.GetValue(suggestRun), "--run")!;
            double m = pr.GetValue(margin);
            if (m is < 0 or > 100)
            {
                throw new UsageException($"--margin must be between 0 and 100 points, got {m}");
            }
            string json = GradCamAudit.Gates.GateSuggester.ToJson(GradCamAudit.Gates.GateSuggester.Suggest(GradCamAudit.Gates.RunRates.Read(dir, cache: GradCamAudit.Reporting.SummaryStore.Rates), m));
            File.WriteAllText(Path.Combine(dir, "suggested-gates.json"), json);
            Console.Out.WriteLine(json);
            log.LogInformation("suggested gates written to {File}: review them, then copy the section into the config", Path.Combine(dir, "suggested-gates.json"));
        }));
        return suggest;
    }
}
