using GradCamAudit.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>A model in eval mode on its device, with its parameters frozen and its Grad-CAM target module resolved.</summary>
public sealed class LoadedModel : IDisposable
{
    private LoadedModel(nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> target, string targetPath, Device device)
    {
        Network = network;
        Target = target;
        TargetPath = targetPath;
        Device = device;
    }

    public nn.Module<Tensor, Tensor> Network { get; }

    public nn.Module<Tensor, Tensor> Target { get; }

    public string TargetPath { get; }

    public Device Device { get; }

    /// <summary>
    /// Builds the architecture, loads the weights, checks the class count and resolves the target layer.
    /// Every model-dependent problem is a <see cref="ConfigException"/> raised before any sample is read.
    /// </summary>
    public static LoadedModel Load(ModelOptions options, Device device)
    {
        nn.Module<Tensor, Tensor> network = options.Architecture switch
        {
            "demo-cnn" => new DemoCnn(options.NumClasses),
            _ => throw new ConfigException($"model.architecture: '{options.Architecture}' is not supported (supported: demo-cnn)"),
        };
        try
        {
            network.load(options.Weights, strict: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or EndOfStreamException or FormatException)
        {
            network.Dispose();
            throw new ConfigException($"model.weights: '{options.Weights}' does not fit {options.Architecture} with numClasses={options.NumClasses}: {ex.Message}");
        }
        string targetPath = options.TargetLayer.Length > 0 ? options.TargetLayer : DefaultTarget(options.Architecture);
        return FromModule(network, ResolveTarget(network, targetPath), targetPath, device);
    }

    /// <summary>Wraps a built network: moves it to the device, sets eval mode and freezes every parameter.</summary>
    public static LoadedModel FromModule(nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> target, string targetPath, Device device)
    {
        network.to(device);
        network.eval();
        foreach (var p in network.parameters())
        {
            p.requires_grad = false;
        }
        return new LoadedModel(network, target, targetPath, device);
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
        var near = modules.Select(m => m.name).Where(n => parent.Length > 0 && n.StartsWith(parent, StringComparison.Ordinal)).ToList();
        if (near.Count == 0)
        {
            near = modules.Select(m => m.name).ToList();
        }
        throw new ConfigException($"model.targetLayer: no module at '{path}'; available: {string.Join(", ", near.Take(40))}");
    }

    /// <summary>The default target layer per architecture.</summary>
    public static string DefaultTarget(string architecture) => architecture switch
    {
        "demo-cnn" => DemoCnn.DefaultTargetLayer,
        _ => "",
    };

    /// <summary>Parses the config's device string; <c>auto</c> picks CUDA when available.</summary>
    public static Device ResolveDevice(string device)
    {
        if (device == "auto")
        {
            return cuda.is_available() ? CUDA : CPU;
        }
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
        {
            throw new ConfigException($"audit.device: '{device}' requested but CUDA is not available in this build/machine (backend built: cpu unless -p:TorchBackend=cuda)");
        }
        return torch.device(device);
    }

    public void Dispose() => Network.Dispose();
}
