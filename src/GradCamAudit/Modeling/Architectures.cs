using GradCamAudit.Modeling.Families;
using GradCamAudit.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>
/// Where a head of global average pooling followed (through flatten/dropout only) by one linear layer reads the
/// target: <paramref name="TargetPaths"/> are the module paths whose output feeds that head directly, and
/// <paramref name="LinearPath"/> is the linear layer. For such targets Grad-CAM has a closed form (see
/// <see cref="Explain.GradCamExplainer"/>), which is verified numerically at start-up before it is used.
/// </summary>
public sealed record GapLinearHead(IReadOnlyList<string> TargetPaths, string LinearPath);

/// <summary>
/// A known architecture: how to build it, its default target layer, its GAP+linear head if it has one, and its stage
/// outputs from fine (early, large maps) to coarse (late, small maps), which <c>model.targetLayer: auto</c> chooses from.
/// </summary>
public sealed record ArchitectureSpec(string Name, Func<int, nn.Module<Tensor, Tensor>> Build, string DefaultTarget, GapLinearHead? Head, string Note, IReadOnlyList<string>? Stages = null);

/// <summary>
/// The architectures the tool can build: TorchSharp's TorchVision package where it has the architecture, this
/// project's own modules mirroring torchvision 0.14's module trees (<c>Modeling/Families</c>) where it has not, and the
/// demo CNN. Names are torchvision's model functions; state_dict keys are torchvision's.
/// </summary>
public static class Architectures
{
    private static readonly GapLinearHead ResNetHead = new(["layer4"], "fc");

    private static readonly string[] ResNetStages = ["layer1", "layer2", "layer3", "layer4"];

    public static IReadOnlyDictionary<string, ArchitectureSpec> All { get; } = new[]
    {
        new ArchitectureSpec("demo-cnn", n => new DemoCnn(n), DemoCnn.DefaultTargetLayer, new(["features", "features.9"], "classifier"), "the embedded demo's CNN", ["features.1", "features.4", "features.9"]),
        new ArchitectureSpec("resnet18", n => torchvision.models.resnet18(n), "layer4", ResNetHead, "torchvision.models.resnet18", ResNetStages),
        new ArchitectureSpec("resnet34", n => torchvision.models.resnet34(n), "layer4", ResNetHead, "torchvision.models.resnet34", ResNetStages),
        new ArchitectureSpec("resnet50", n => torchvision.models.resnet50(n), "layer4", ResNetHead, "torchvision.models.resnet50", ResNetStages),
        new ArchitectureSpec("resnet101", n => torchvision.models.resnet101(n), "layer4", ResNetHead, "torchvision.models.resnet101", ResNetStages),
        new ArchitectureSpec("mobilenet_v2", n => torchvision.models.mobilenet_v2(n), "features.18", new(["features", "features.18"], "classifier.1"), "torchvision.models.mobilenet_v2", ["features.6", "features.13", "features.18"]),
        new ArchitectureSpec("vgg16", n => torchvision.models.vgg16(n), "features.29", null, "torchvision.models.vgg16 (target: last ReLU before the final max-pool)", ["features.15", "features.22", "features.29"]),
        new ArchitectureSpec("vgg16_bn", n => torchvision.models.vgg16_bn(n), "features.42", null, "torchvision.models.vgg16_bn (target: last ReLU before the final max-pool)", ["features.22", "features.32", "features.42"]),
    }
    .Concat(MobileNetV3.Specs()).Concat(EfficientNet.Specs()).Concat(DenseNet.Specs()).Concat(RegNet.Specs())
    .ToDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>Architecture names accepted by <c>model.architecture</c>, including <c>torchscript</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Keys, TorchScriptModel.ArchitectureName];

    public static ArchitectureSpec Get(string name) =>
        All.TryGetValue(name, out ArchitectureSpec? spec) ? spec
        : throw new ConfigException($"model.architecture: '{name}' is not supported (supported: {string.Join(", ", Names)})");
}
