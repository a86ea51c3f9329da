using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GradCamAudit.Modeling.Families;

/// <summary>
/// The building blocks torchvision 0.14's EfficientNet and MobileNetV3 share (<c>torchvision.ops.misc</c>,
/// <c>torchvision.models._utils</c>), with the same child names so state_dict keys and module paths match.
/// </summary>
public static class Blocks
{
    /// <summary><c>_make_divisible</c>: rounds to the nearest multiple of <paramref name="divisor"/>, never more than 10% down.</summary>
    public static int MakeDivisible(double value, int divisor = 8)
    {
        int rounded = Math.Max(divisor, (int)(value + (divisor / 2.0)) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }

    /// <summary>
    /// <c>Conv2dNormActivation</c>: children <c>0</c> (conv, no bias, padding (k-1)/2), <c>1</c> (BatchNorm2d with
    /// <paramref name="eps"/>), <c>2</c> (the activation, when one is given).
    /// </summary>
    public static Module<Tensor, Tensor> ConvNormActivation(long input, long output, long kernel, double eps, Func<Module<Tensor, Tensor>>? activation, long stride = 1, long groups = 1)
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            Conv2d(input, output, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
            BatchNorm2d(output, eps: eps),
        };
        if (activation != null)
        {
            layers.Add(activation());
        }
        return Sequential(layers.ToArray());
    }
}

/// <summary>
/// <c>torchvision.ops.SqueezeExcitation</c> (Hu et al. 2018, eq. 2-3): x · σ(fc2(δ(fc1(avgpool(x))))), with 1x1
/// convolutions as the two fully connected layers.
/// </summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> fc1;
    private readonly Module<Tensor, Tensor> fc2;
    private readonly Module<Tensor, Tensor> activation;
    private readonly Module<Tensor, Tensor> scale_activation;

    public SqueezeExcitation(long input, long squeeze, Func<Module<Tensor, Tensor>> activation, Func<Module<Tensor, Tensor>> scaleActivation)
        : base(nameof(SqueezeExcitation))
    {
        avgpool = AdaptiveAvgPool2d(1);
        fc1 = Conv2d(input, squeeze, 1);
        fc2 = Conv2d(squeeze, input, 1);
        this.activation = activation();
        scale_activation = scaleActivation();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor scale = scale_activation.call(fc2.call(activation.call(fc1.call(avgpool.call(input)))));
        return (scale * input).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// <c>torchvision.ops.StochasticDepth</c> in "row" mode (Huang et al. 2016): in training each sample's residual
/// branch is dropped with probability p and the survivors scaled by 1/(1-p); in eval mode (every audit) it is the identity.
/// </summary>
public sealed class StochasticDepth : Module<Tensor, Tensor>
{
    private readonly double p;

    public StochasticDepth(double p)
        : base(nameof(StochasticDepth))
    {
        this.p = p;
    }

    public override Tensor forward(Tensor input)
    {
        if (!training || p == 0)
        {
            return input.alias();
        }
        double survival = 1 - p;
        using var scope = NewDisposeScope();
        Tensor noise = empty([input.shape[0], 1, 1, 1], input.dtype, input.device).bernoulli_(survival);
        if (survival > 0)
        {
            noise.div_(survival);
        }
        return (input * noise).MoveToOuterDisposeScope();
    }
}
