using System.CommandLine;
using GradCamAudit.Demo;
using GradCamAudit.Pipeline;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The train-demo verb: train the demo CNN.</summary>
    private static Command TrainDemoCommand()
    {
        var weightsOut = new Option<string>("--output") { Description = "Where to save the demo CNN weights (TorchSharp format).", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 6 };
        var perClass = new Option<int>("--per-class") { Description = "Training samples per class.", DefaultValueFactory = _ => 600 };
        var shortcutPercent = new Option<int>("--shortcut-percent")
        {
            Description = "How often the training split's triangles carry the marker and its squares the dotted texture, in percent (97 for the committed demo CNN; 80 for the label-noise known answer's CNN).",
            DefaultValueFactory = _ => DemoDataset.DefaultShortcutPercent,
        };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights and the batch order.", DefaultValueFactory = _ => DemoTrainer.DefaultSeed };
        var train = new Command("train-demo", "Train the demo CNN on the demo's training split (with its planted shortcut).") { weightsOut, epochs, perClass, shortcutPercent, seed };
        train.SetAction((pr, ct) => Guard(pr, log =>
        {
            Torch.Initialise();
            DemoTrainer.Train(pr.GetValue(weightsOut)!, pr.GetValue(perClass), pr.GetValue(epochs), Lines(log), pr.GetValue(seed), shortcutPercent: pr.GetValue(shortcutPercent));
            return Task.CompletedTask;
        }));
        return train;
    }
}
