using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GradCamAudit.Modeling.Families;

/// <summary>
/// torchvision 0.14's MobileNetV3 large and small (Howard et al. 2019; <c>torchvision.models.mobilenetv3</c>), the
/// same module tree: <c>features.0</c> (stem, Hardswish), <c>features.1..n</c> (inverted residuals), the last 1x1
/// conv (6x channels), <c>avgpool</c>, <c>classifier</c> = Linear, Hardswish, Dropout, Linear; BatchNorm eps 1e-3.
/// The head has a hidden layer, so Grad-CAM takes the autograd route (no closed form).
/// </summary>
public sealed class MobileNetV3 : Module<Tensor, Tensor>
{
    private const double Eps = 1e-3;

    /// <summary>Per block: input, kernel, expanded, output channels, squeeze-excitation, Hardswish (else ReLU), stride.</summary>
    private static readonly (int In, int Kernel, int Expanded, int Out, bool Se, bool Hs, int Stride)[] Large =
    [
        (16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
        (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
        (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
        (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
        (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1),
    ];

    private static readonly (int In, int Kernel, int Expanded, int Out, bool Se, bool Hs, int Stride)[] Small =
    [
        (16, 3, 16, 16, true, false, 2), (16, 3, 72, 24, false, false, 2), (24, 3, 88, 24, false, false, 1),
        (24, 5, 96, 40, true, true, 2), (40, 5, 240, 40, true, true, 1), (40, 5, 240, 40, true, true, 1),
        (40, 5, 120, 48, true, true, 1), (48, 5, 144, 48, true, true, 1), (48, 5, 288, 96, true, true, 2),
        (96, 5, 576, 96, true, true, 1), (96, 5, 576, 96, true, true, 1),
    ];

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> classifier;

    public MobileNetV3(bool large, int numClasses, double dropout = 0.2)
        : base(large ? "MobileNetV3-Large" : "MobileNetV3-Small")
    {
        var setting = large ? Large : Small;
        var layers = new List<Module<Tensor, Tensor>> { Blocks.ConvNormActivation(3, setting[0].In, 3, Eps, () => Hardswish(), stride: 2) };
        foreach (var b in setting)
        {
            layers.Add(new InvertedResidualV3(b.In, b.Kernel, b.Expanded, b.Out, b.Se, b.Hs, b.Stride));
        }
        int last = setting[^1].Out, hidden = large ? 1280 : 1024;
        layers.Add(Blocks.ConvNormActivation(last, 6 * last, 1, Eps, () => Hardswish()));
        features = Sequential(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Sequential(Linear(6 * last, hidden), Hardswish(), Dropout(dropout), Linear(hidden, numClasses));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = avgpool.call(features.call(input)).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>mobilenet_v3_large (target <c>features.16</c>) and mobilenet_v3_small (<c>features.12</c>): 7x7 at 224, autograd route.</summary>
    public static IEnumerable<ArchitectureSpec> Specs() =>
    [
        new("mobilenet_v3_large", n => new MobileNetV3(true, n), "features.16", null, "torchvision.models.mobilenet_v3_large (built by this project; MLP head: autograd)",
            ["features.3", "features.6", "features.12", "features.16"]),
        new("mobilenet_v3_small", n => new MobileNetV3(false, n), "features.12", null, "torchvision.models.mobilenet_v3_small (built by this project; MLP head: autograd)",
            ["features.1", "features.3", "features.8", "features.12"]),
    ];
}

/// <summary>
/// torchvision's MobileNetV3 <c>InvertedResidual</c>: <c>block</c> = [1x1 expand] + depthwise conv + [squeeze-excitation:
/// squeeze = make_divisible(expanded/4), ReLU, Hardsigmoid] + 1x1 projection; residual where stride is 1 and channels agree.
/// </summary>
public sealed class InvertedResidualV3 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> block;
    private readonly bool residual;

    public InvertedResidualV3(int input, int kernel, int expanded, int output, bool se, bool hardswish, int stride)
        : base("InvertedResidual")
    {
        residual = stride == 1 && input == output;
        Func<Module<Tensor, Tensor>> activation = hardswish ? () => Hardswish() : () => ReLU();
        var layers = new List<Module<Tensor, Tensor>>();
        if (expanded != input)
        {
            layers.Add(Blocks.ConvNormActivation(input, expanded, 1, MobileNetV3Eps, activation));
        }
        layers.Add(Blocks.ConvNormActivation(expanded, expanded, kernel, MobileNetV3Eps, activation, stride: stride, groups: expanded));
        if (se)
        {
            layers.Add(new SqueezeExcitation(expanded, Blocks.MakeDivisible(expanded / 4), () => ReLU(), () => Hardsigmoid()));
        }
        layers.Add(Blocks.ConvNormActivation(expanded, output, 1, MobileNetV3Eps, null));
        block = Sequential(layers.ToArray());
        RegisterComponents();
    }

    private const double MobileNetV3Eps = 1e-3;

    public override Tensor forward(Tensor input)
    {
        if (!residual)
        {
            return block.call(input);
        }
        using var scope = NewDisposeScope();
        return (block.call(input) + input).MoveToOuterDisposeScope();
    }
}
