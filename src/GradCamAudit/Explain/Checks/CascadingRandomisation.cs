using GradCamAudit.Modeling;
using static TorchSharp.torch;

namespace GradCamAudit.Explain.Checks;

/// <summary>
/// Cascading randomisation (Adebayo et al. 2018, "Sanity checks for saliency maps", §3.1): the layers with parameters
/// from the output back to the target block (every parameterised leaf module after the target in module order, then
/// those inside the target), randomised one more at a time from the top. A parameter is replaced by Gaussian noise
/// of the original's mean and standard deviation (seeded: the same weights at each step for every sample); buffers
/// such as batch-norm statistics are kept. <see cref="Restore"/> puts the trained weights back bit for bit, in place,
/// so views of them (the declared head weight) stay valid.
/// </summary>
public sealed class CascadingRandomisation : IDisposable
{
    private readonly List<(string Name, (Tensor Live, Tensor Original)[] Parameters)> units;
    private readonly int seed;

    public CascadingRandomisation(LoadedModel model, int seed)
    {
        this.seed = seed;
        string target = model.TargetPath;
        var leaves = new List<(string Name, (Tensor Live, Tensor Original)[] Parameters)>();
        using (no_grad())
        {
            foreach ((string name, nn.Module module) in model.Network.named_modules())
            {
                Tensor[] own = module.parameters(recurse: false).Select(p => (Tensor)p).ToArray();
                if (name.Length > 0 && !module.named_children().Any() && own.Length > 0)
                {
                    leaves.Add((name, own.Select(p => (p, p.detach().clone().DetachFromDisposeScope())).ToArray()));
                }
            }
        }
        int targetIndex = model.Network.named_modules().Select(m => m.name).ToList().IndexOf(target);
        var order = model.Network.named_modules().Select((m, i) => (m.name, i)).ToDictionary(x => x.name, x => x.i);
        bool Inside(string name) => name == target || name.StartsWith(target + ".", StringComparison.Ordinal);
        // Top first: the modules after the target (in reverse module order), then the target block's own, from its end.
        units = leaves.Where(l => !Inside(l.Name) && order[l.Name] > targetIndex).Reverse()
            .Concat(leaves.Where(l => Inside(l.Name)).Reverse()).ToList();
        UnitsAfterTarget = units.Count(u => !Inside(u.Name));
        foreach (var unused in leaves.Except(units))
        {
            foreach ((_, Tensor original) in unused.Parameters)
            {
                original.Dispose();
            }
        }
    }

    /// <summary>The cascade, top first: step k randomises units 1..k.</summary>
    public IReadOnlyList<string> Units => units.Select(u => u.Name).ToArray();

    /// <summary>How many of the units lie after the target block (the head); the rest are inside it.</summary>
    public int UnitsAfterTarget { get; }

    /// <summary>Randomises unit number <paramref name="step"/> (1-based), on top of the units randomised before it.</summary>
    public void RandomiseNext(int step)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)(((long)seed * 7919) + step), CPU);
        using (no_grad())
        {
            foreach ((Tensor p, Tensor original) in units[step - 1].Parameters)
            {
                double mean = original.numel() > 0 ? original.mean().item<float>() : 0;
                double std = original.numel() > 1 ? original.std().item<float>() : 0;
                Tensor noise = randn(p.shape, generator: generator).to_type(p.dtype).to(p.device);
                p.copy_((noise * (std > 0 ? std : 0.01)) + mean);
            }
        }
    }

    /// <summary>Puts every trained weight back (in place).</summary>
    public void Restore()
    {
        using (no_grad())
        {
            foreach ((Tensor p, Tensor original) in units.SelectMany(u => u.Parameters))
            {
                p.copy_(original);
            }
        }
    }

    public void Dispose()
    {
        Restore();
        foreach ((_, Tensor original) in units.SelectMany(u => u.Parameters))
        {
            original.Dispose();
        }
        units.Clear();
    }
}
