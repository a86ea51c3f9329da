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

    /// <param name="model">The model; its parameters are changed in place while a cascade runs.</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <param name="probe">An input (1,3,H,W) run once to learn the order in which the modules execute (module
    /// registration order need not be execution order).</param>
    public CascadingRandomisation(LoadedModel model, int seed, Tensor probe)
    {
        this.seed = seed;
        string target = model.TargetPath;
        var leaves = new Dictionary<string, (Tensor Live, Tensor Original)[]>(StringComparer.Ordinal);
        var executed = new List<string>();
        var hooks = new List<Action>();
        using (no_grad())
        {
            foreach ((string name, nn.Module module) in model.Network.named_modules())
            {
                Tensor[] own = module.parameters(recurse: false).Select(p => (Tensor)p).ToArray();
                bool leaf = name.Length > 0 && !module.named_children().Any() && own.Length > 0;
                if (leaf)
                {
                    leaves[name] = own.Select(p => (p, p.detach().clone().DetachFromDisposeScope())).ToArray();
                }
                if ((leaf || name == target) && module is nn.Module<Tensor, Tensor> typed)
                {
                    var remover = typed.register_forward_hook((_, _, _) =>
                    {
                        executed.Add(name);
                        return null!;
                    });
                    hooks.Add(() => remover.remove());
                }
            }
            try
            {
                using var scope = NewDisposeScope();
                model.Network.call(probe);
            }
            finally
            {
                hooks.ForEach(remove => remove());
            }
        }
        bool Inside(string name) => name.StartsWith(target + ".", StringComparison.Ordinal);
        int targetDone = executed.IndexOf(target);
        var after = executed.Skip(targetDone + 1).Where(n => leaves.ContainsKey(n) && !Inside(n)).Distinct().Reverse();
        var inside = executed.Take(targetDone).Where(n => leaves.ContainsKey(n) && (Inside(n) || n == target)).Distinct().Reverse();
        if (leaves.ContainsKey(target))
        {
            inside = inside.Prepend(target); // a parameterised target layer is its own block
        }
        units = after.Concat(inside).Select(n => (n, leaves[n])).ToList();
        UnitsAfterTarget = after.Count();
        foreach ((string name, var parameters) in leaves.Where(l => !units.Any(u => u.Name == l.Key)))
        {
            foreach ((_, Tensor original) in parameters)
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
