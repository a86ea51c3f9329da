using GradCamAudit.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>
/// A model in eval mode on its device, with its parameters frozen and its Grad-CAM target module resolved.
/// <see cref="HeadWeight"/> is set when the architecture declares a GAP+linear head reading this target directly.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private LoadedModel(nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> target, string targetPath, Device device, Tensor? headWeight, string? finerTarget, TrunkView view)
    {
        View = view;
        Network = network;
        Target = target;
        TargetPath = targetPath;
        Device = device;
        HeadWeight = headWeight;
        FinerTarget = finerTarget;
    }

    public nn.Module<Tensor, Tensor> Network { get; }

    /// <summary>How the target's output becomes the (B,C,h,w) view the CAM methods read (identity for every built architecture).</summary>
    public TrunkView View { get; }

    public nn.Module<Tensor, Tensor> Target { get; }

    public string TargetPath { get; }

    public Device Device { get; }

    /// <summary>The (classes, channels) weight of the linear layer after global average pooling of the target, if the head qualifies.</summary>
    public Tensor? HeadWeight { get; }

    /// <summary>A higher-resolution target layer to suggest when the map is too coarse, if the architecture names one.</summary>
    public string? FinerTarget { get; }

    /// <summary>
    /// Builds the architecture, loads the weights, resolves the target layer. Every model-dependent problem is a
    /// <see cref="ConfigException"/> raised before any sample is read.
    /// </summary>
    public static LoadedModel Load(ModelOptions options, Device device, int autoMinMapSide = AutoTargetLayer.DefaultMinMapSide)
    {
        if (options.Architecture == TorchScriptModel.ArchitectureName)
        {
            var script = TorchScriptModel.Load(options.Weights, options.Head ?? throw new ConfigException("model.head: required for torchscript"));
            if (options.TargetLayer.Length > 0 && options.TargetLayer != TorchScriptModel.TargetPath && options.TargetLayer != AutoTargetLayer.Auto)
            {
                throw new ConfigException($"model.targetLayer: a torchscript model's target is the trunk's output ('{TorchScriptModel.TargetPath}'); export the trunk up to the layer you want");
            }
            TrunkView view;
            try
            {
                view = ProbeView(script.Trunk, options);
            }
            catch
            {
                script.Dispose();
                throw;
            }
            return FromModule(script, script.Trunk, TorchScriptModel.TargetPath, device, view: view);
        }
        ArchitectureSpec spec = Architectures.Get(options.Architecture);
        nn.Module<Tensor, Tensor> network = spec.Build(options.NumClasses);
        try
        {
            WeightLoader.Load(network, options.Weights, options.WeightsFormat, $"{spec.Name} with numClasses={options.NumClasses}");
        }
        catch
        {
            network.Dispose();
            throw;
        }
        string targetPath = options.TargetLayer.Length > 0 ? options.TargetLayer : spec.DefaultTarget;
        if (AutoTargetLayer.Applies(options.TargetLayer, spec.Name))
        {
            targetPath = AutoTargetLayer.Choose(network, StagesOf(spec.Name)!, options.InputHeight, options.InputWidth, autoMinMapSide).Path;
        }
        nn.Module<Tensor, Tensor> target = ResolveTarget(network, targetPath);
        return FromModule(network, target, targetPath, device, HeadWeightFor(spec, network, targetPath), FinerTargetFor(spec.Name, targetPath));
    }

    /// <summary>
    /// Runs the trunk once on a zero input of the configured size (before any sample is read) and resolves the view of
    /// its output for <c>model.layout</c>: a wrong layout, prefix count or grid is a config error here, not a failed batch.
    /// </summary>
    private static TrunkView ProbeView(nn.Module<Tensor, Tensor> trunk, ModelOptions options)
    {
        using var scope = NewDisposeScope();
        long[] shape;
        using (inference_mode())
        {
            shape = trunk.call(zeros(1, 3, options.InputHeight, options.InputWidth)).shape;
        }
        return TrunkView.Resolve(options.OutputLayout, shape, options.InputHeight, options.InputWidth);
    }

    /// <summary>The linear weight of the architecture's GAP+linear head when it reads <paramref name="targetPath"/> directly; else null.</summary>
    public static Tensor? HeadWeightFor(ArchitectureSpec spec, nn.Module network, string targetPath) =>
        spec.Head != null && spec.Head.TargetPaths.Contains(targetPath)
            && network.named_modules().FirstOrDefault(m => m.name == spec.Head.LinearPath).module is TorchSharp.Modules.Linear linear
            ? linear.weight!.detach().DetachFromDisposeScope()
            : null;

    /// <summary>The stage outputs of an architecture, fine to coarse (what <c>model.targetLayer: auto</c> chooses from), or null.</summary>
    public static IReadOnlyList<string>? StagesOf(string architecture) => Architectures.All.GetValueOrDefault(architecture)?.Stages;

    /// <summary>
    /// The stage before the one <paramref name="targetPath"/> belongs to (a sub-module such as <c>layer4.1</c> belongs
    /// to <c>layer4</c>; between two stages, to the later one): a higher-resolution layer to suggest when the map is
    /// too coarse. Null when the target is already in the first stage or the architecture names none.
    /// </summary>
    public static string? FinerTargetFor(string architecture, string targetPath)
    {
        if (StagesOf(architecture) is not { } stages)
        {
            return null;
        }
        int exact = stages.ToList().IndexOf(targetPath);
        if (exact >= 0)
        {
            return exact == 0 ? null : stages[exact - 1];
        }
        for (int i = 0; i < stages.Count; i++)
        {
            bool inStage = targetPath == stages[i] || targetPath.StartsWith(stages[i] + ".", StringComparison.Ordinal);
            if (inStage || ComparePaths(targetPath, stages[i]) < 0)
            {
                return i == 0 ? null : stages[i - 1];
            }
        }
        return stages[^1];
    }

    /// <summary>Orders module paths as the network runs them (numeric segments compared as numbers).</summary>
    private static int ComparePaths(string a, string b)
    {
        string[] x = a.Split('.'), y = b.Split('.');
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            int c = int.TryParse(x[i], out int xi) && int.TryParse(y[i], out int yi) ? xi.CompareTo(yi) : string.CompareOrdinal(x[i], y[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return x.Length.CompareTo(y.Length);
    }

    /// <summary>Wraps a built network: moves it to the device, sets eval mode and freezes every parameter.</summary>
    public static LoadedModel FromModule(nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> target, string targetPath, Device device, Tensor? headWeight = null, string? finerTarget = null,
        TrunkView? view = null)
    {
        network.to(device);
        network.eval();
        foreach (var p in network.parameters())
        {
            p.requires_grad = false;
        }
        Tensor? head = headWeight?.to(device).DetachFromDisposeScope();
        if (head is not null && !ReferenceEquals(head, headWeight))
        {
            headWeight!.Dispose();
        }
        return new LoadedModel(network, target, targetPath, device, head, finerTarget, view ?? TrunkView.Identity);
    }

    /// <summary>Finds a module by its PyTorch-style path; a wrong path lists the available paths near it.</summary>
    public static nn.Module<Tensor, Tensor> ResolveTarget(nn.Module network, string path)
    {
        var modules = network.named_modules().Where(m => m.name.Length > 0).ToList();
        var hit = modules.FirstOrDefault(m => m.name == path);
        if (hit.module is nn.Module<Tensor, Tensor> typed)
        {
            return typed;
        }
        if (hit.module != null)
        {
            throw new ConfigException($"model.targetLayer: '{path}' is not a tensor-to-tensor module");
        }
        string parent = path.Contains('.', StringComparison.Ordinal) ? path[..path.LastIndexOf('.')] : "";
        var near = modules.Select(m => m.name).Where(n => parent.Length > 0 && n.StartsWith(parent + ".", StringComparison.Ordinal) && n.Count(c => c == '.') == path.Count(c => c == '.')).ToList();
        if (near.Count == 0)
        {
            near = modules.Select(m => m.name).Where(n => !n.Contains('.', StringComparison.Ordinal)).ToList();
        }
        throw new ConfigException($"model.targetLayer: no module at '{path}'; available near it: {string.Join(", ", near.Take(40))}");
    }

    /// <summary>Parses the config's device string; <c>auto</c> picks CUDA when available.</summary>
    public static Device ResolveDevice(string device)
    {
        if (device == "auto")
        {
            return cuda.is_available() ? CUDA : CPU;
        }
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
        {
            throw new ConfigException($"audit.device: '{device}' requested but CUDA is not available (this build's backend is cpu unless built with -p:TorchBackend=cuda)");
        }
        return torch.device(device);
    }

    public void Dispose()
    {
        HeadWeight?.Dispose();
        Network.Dispose();
    }
}
