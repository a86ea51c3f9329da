using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GradCamAudit.Modeling.Families;

/// <summary>
/// torchvision 0.14's EfficientNet-B0..B7 (Tan and Le 2019; <c>torchvision.models.efficientnet</c>), the same
/// module tree: <c>features.0</c> (stem), <c>features.1..7</c> (MBConv stages), <c>features.8</c> (1x1 conv to
/// 4x the last stage's channels), <c>avgpool</c>, <c>classifier</c> (<c>0</c> dropout, <c>1</c> linear). B5-B7 use
/// BatchNorm eps 1e-3, B0-B4 1e-5, as torchvision does.
/// </summary>
public sealed class EfficientNet : Module<Tensor, Tensor>
{
    /// <summary>Table 1 of the paper: expand ratio, kernel, stride, input and output channels, layers (before scaling).</summary>
    private static readonly (int Expand, int Kernel, int Stride, int In, int Out, int Layers)[] Stages =
        [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)];

    /// <summary>Width and depth multipliers, dropout and BatchNorm eps of efficientnet_b0..b7 (index = variant).</summary>
    public static readonly (double Width, double Depth, double Dropout, double Eps)[] Variants =
        [(1.0, 1.0, 0.2, 1e-5), (1.0, 1.1, 0.2, 1e-5), (1.1, 1.2, 0.3, 1e-5), (1.2, 1.4, 0.3, 1e-5), (1.4, 1.8, 0.4, 1e-5), (1.6, 2.2, 0.4, 1e-3), (1.8, 2.6, 0.5, 1e-3), (2.0, 3.1, 0.5, 1e-3)];

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> classifier;

    public EfficientNet(int variant, int numClasses, double stochasticDepth = 0.2)
        : base($"EfficientNet-B{variant}")
    {
        (double width, double depth, double dropout, double eps) = Variants[variant];
        int Channels(int c) => Blocks.MakeDivisible(c * width);
        int Depth(int n) => (int)Math.Ceiling(n * depth);
        var layers = new List<Module<Tensor, Tensor>> { Blocks.ConvNormActivation(3, Channels(Stages[0].In), 3, eps, () => SiLU(), stride: 2) };
        int total = Stages.Sum(s => Depth(s.Layers)), id = 0;
        foreach (var s in Stages)
        {
            var stage = new List<Module<Tensor, Tensor>>();
            for (int i = 0; i < Depth(s.Layers); i++, id++)
            {
                int input = i == 0 ? Channels(s.In) : Channels(s.Out);
                stage.Add(new MBConv(input, Channels(s.Out), s.Expand, s.Kernel, i == 0 ? s.Stride : 1, eps, stochasticDepth * id / total));
            }
            layers.Add(Sequential(stage.ToArray()));
        }
        int last = Channels(Stages[^1].Out);
        layers.Add(Blocks.ConvNormActivation(last, 4 * last, 1, eps, () => SiLU()));
        features = Sequential(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Sequential(Dropout(dropout), Linear(4 * last, numClasses));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = avgpool.call(features.call(input)).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>efficientnet_b0..b7: target <c>features.8</c> (the last 1x1 conv, 7x7 at 224), closed form through <c>classifier.1</c>.</summary>
    public static IEnumerable<ArchitectureSpec> Specs() => Enumerable.Range(0, Variants.Length).Select(v => new ArchitectureSpec(
        $"efficientnet_b{v}", n => new EfficientNet(v, n), "features.8", new(["features", "features.8"], "classifier.1"),
        $"torchvision.models.efficientnet_b{v} (built by this project)", ["features.2", "features.3", "features.5", "features.8"]));
}

/// <summary>
/// torchvision's <c>MBConv</c> (Sandler et al. 2018; Tan and Le 2019): <c>block</c> = [1x1 expand] + depthwise
/// conv + squeeze-excitation (squeeze = input/4, SiLU, sigmoid) + 1x1 projection, with a residual through
/// <c>stochastic_depth</c> where stride is 1 and the channels agree.
/// </summary>
public sealed class MBConv : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> block;
    private readonly Module<Tensor, Tensor> stochastic_depth;
    private readonly bool residual;

    public MBConv(int input, int output, int expandRatio, int kernel, int stride, double eps, double stochasticDepthProb)
        : base(nameof(MBConv))
    {
        residual = stride == 1 && input == output;
        int expanded = Blocks.MakeDivisible(input * (double)expandRatio);
        var layers = new List<Module<Tensor, Tensor>>();
        if (expanded != input)
        {
            layers.Add(Blocks.ConvNormActivation(input, expanded, 1, eps, () => SiLU()));
        }
        layers.Add(Blocks.ConvNormActivation(expanded, expanded, kernel, eps, () => SiLU(), stride: stride, groups: expanded));
        layers.Add(new SqueezeExcitation(expanded, Math.Max(1, input / 4), () => SiLU(), () => Sigmoid()));
        layers.Add(Blocks.ConvNormActivation(expanded, output, 1, eps, null));
        block = Sequential(layers.ToArray());
        stochastic_depth = new StochasticDepth(stochasticDepthProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (!residual)
        {
            return block.call(input);
        }
        using var scope = NewDisposeScope();
        return (stochastic_depth.call(block.call(input)) + input).MoveToOuterDisposeScope();
    }
}
