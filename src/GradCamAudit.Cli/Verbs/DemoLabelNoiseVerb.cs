using System.CommandLine;
using GradCamAudit.Demo;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The demo-label-noise verb: the label-noise known answer.</summary>
    private static Command DemoLabelNoiseCommand()
    {
        var noiseOut = new Option<string>("--output") { Description = "Folder to write the label-noise demo split into.", Required = true };
        var makeNoise = new Command("demo-label-noise", "Write the label-noise known answer: a fresh demo split with a seeded 10% of the clean labels flipped.") { noiseOut };
        makeNoise.SetAction((pr, ct) => Guard(pr, log =>
        {
            (int count, int flipped) = LabelNoiseDemo.Write(pr.GetValue(noiseOut)!);
            log.LogInformation("wrote {Count} samples ({Flipped} clean labels flipped) to {Folder}", count, flipped, pr.GetValue(noiseOut));
            return Task.CompletedTask;
        }));
        return makeNoise;
    }
}
