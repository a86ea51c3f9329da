using System.CommandLine;
using GradCamAudit.Demo;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The demo-data verb: regenerate the demo audit split.</summary>
    private static Command DemoDataCommand()
    {
        var dataOut = new Option<string>("--output") { Description = "Folder for manifest.csv, images/ and masks/.", Required = true };
        var makeDemo = new Command("demo-data", "Regenerate the demo audit split (deterministic: identical pixels on every machine).") { dataOut };
        makeDemo.SetAction((pr, ct) => Guard(pr, log =>
        {
            int count = DemoDataset.WriteAuditSplit(pr.GetValue(dataOut)!);
            log.LogInformation("wrote {Count} demo samples to {Folder}", count, pr.GetValue(dataOut));
            return Task.CompletedTask;
        }));
        return makeDemo;
    }
}
