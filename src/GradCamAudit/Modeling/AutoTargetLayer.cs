using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>
/// <c>model.targetLayer: auto</c> (and the default where the architecture lists its stages): the deepest stage whose
/// map at the model's input size reaches <c>findings.minMapSize</c> on its shorter side, found by one forward pass of a
/// zero image with a shape-recording hook on every stage. Deeper layers carry more class information, finer ones
/// localise better (Selvaraju et al. 2017 take the last convolutional layer for that trade-off); below the minimum
/// every lift is close to 1 and no verdict can be read from the map. When no stage reaches the minimum, the finest
/// stage is taken (and the findings say the map is too coarse).
/// </summary>
public static class AutoTargetLayer
{
    public const string Auto = "auto";

    /// <summary>The default smallest map side (<c>findings.minMapSize</c>).</summary>
    public const int DefaultMinMapSide = 4;

    /// <summary>The chosen stage and the map size of every stage probed (fine to coarse), for the log and run.json.</summary>
    public sealed record Choice(string Path, IReadOnlyList<(string Stage, int Height, int Width)> Probed);

    /// <summary>True when <paramref name="configured"/> asks for the automatic choice and the architecture lists its stages.</summary>
    public static bool Applies(string configured, string architecture) =>
        (configured.Length == 0 || configured == Auto) && LoadedModel.StagesOf(architecture) != null;

    public static Choice Choose(nn.Module<Tensor, Tensor> network, IReadOnlyList<string> stages, int inputHeight, int inputWidth, int minSide)
    {
        var shapes = new Dictionary<string, (int H, int W)>(StringComparer.Ordinal);
        var removers = new List<Action>();
        foreach (string stage in stages)
        {
            nn.Module<Tensor, Tensor> module = LoadedModel.ResolveTarget(network, stage);
            string name = stage;
            var hook = module.register_forward_hook((_, _, output) =>
            {
                if (output.dim() == 4)
                {
                    shapes[name] = ((int)output.shape[2], (int)output.shape[3]);
                }
                return null!;
            });
            removers.Add(hook.remove);
        }
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            bool training = network.training;
            network.eval();
            network.call(zeros(1, 3, inputHeight, inputWidth));
            network.train(training);
        }
        finally
        {
            foreach (Action remove in removers)
            {
                remove();
            }
        }
        var probed = stages.Where(shapes.ContainsKey).Select(s => (s, shapes[s].H, shapes[s].W)).ToList();
        if (probed.Count == 0)
        {
            throw new Options.ConfigException($"model.targetLayer: auto found no stage with a 2-D map among {string.Join(", ", stages)}; set the layer explicitly");
        }
        var fit = probed.LastOrDefault(p => Math.Min(p.H, p.W) >= minSide);
        return new Choice(fit.s ?? probed[0].s, probed);
    }
}
