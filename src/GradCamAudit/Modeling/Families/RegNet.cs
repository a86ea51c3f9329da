using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GradCamAudit.Modeling.Families;

/// <summary>
/// torchvision 0.14's RegNetX / RegNetY (Radosavovic et al. 2020; <c>torchvision.models.regnet</c>), the same module
/// tree: <c>stem</c> (3x3 stride-2 conv, BN, ReLU; 32 channels), <c>trunk_output.block1..4</c> (stages of
/// <c>block{s}-{i}</c> residual bottlenecks: <c>proj</c> where the shape changes, <c>f</c> = a, b (grouped 3x3), [se], c;
/// <c>activation</c>), <c>avgpool</c>, <c>fc</c>. The per-stage widths come from torchvision's quantised linear rule
/// (<c>BlockParams.from_init_params</c>), tabulated here as torchvision computes them; bottleneck ratio 1, BN eps 1e-5.
/// </summary>
public sealed class RegNet : Module<Tensor, Tensor>
{
    /// <summary>Per variant: squeeze-excitation (RegNetY) and, per stage, (depth, width, group width).</summary>
    public static readonly IReadOnlyDictionary<string, (bool Se, (int Depth, int Width, int Group)[] Stages)> Variants = new Dictionary<string, (bool, (int, int, int)[])>
    {
        ["regnet_y_400mf"] = (true, [(1, 48, 8), (3, 104, 8), (6, 208, 8), (6, 440, 8)]),
        ["regnet_y_800mf"] = (true, [(1, 64, 16), (3, 144, 16), (8, 320, 16), (2, 784, 16)]),
        ["regnet_y_1_6gf"] = (true, [(2, 48, 24), (6, 120, 24), (17, 336, 24), (2, 888, 24)]),
        ["regnet_y_3_2gf"] = (true, [(2, 72, 24), (5, 216, 24), (13, 576, 24), (1, 1512, 24)]),
        ["regnet_y_8gf"] = (true, [(2, 224, 56), (4, 448, 56), (10, 896, 56), (1, 2016, 56)]),
        ["regnet_y_16gf"] = (true, [(2, 224, 112), (4, 448, 112), (11, 1232, 112), (1, 3024, 112)]),
        ["regnet_y_32gf"] = (true, [(2, 232, 232), (5, 696, 232), (12, 1392, 232), (1, 3712, 232)]),
        ["regnet_x_400mf"] = (false, [(1, 32, 16), (2, 64, 16), (7, 160, 16), (12, 400, 16)]),
        ["regnet_x_800mf"] = (false, [(1, 64, 16), (3, 128, 16), (7, 288, 16), (5, 672, 16)]),
        ["regnet_x_1_6gf"] = (false, [(2, 72, 24), (4, 168, 24), (10, 408, 24), (2, 912, 24)]),
        ["regnet_x_3_2gf"] = (false, [(2, 96, 48), (6, 192, 48), (15, 432, 48), (2, 1008, 48)]),
        ["regnet_x_8gf"] = (false, [(2, 80, 80), (5, 240, 120), (15, 720, 120), (1, 1920, 120)]),
        ["regnet_x_16gf"] = (false, [(2, 256, 128), (6, 512, 128), (13, 896, 128), (1, 2048, 128)]),
        ["regnet_x_32gf"] = (false, [(2, 336, 168), (7, 672, 168), (13, 1344, 168), (1, 2520, 168)]),
    };

    private readonly Module<Tensor, Tensor> stem;
    private readonly Module<Tensor, Tensor> trunk_output;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> fc;

    public RegNet(string variant, int numClasses)
        : base(variant)
    {
        (bool se, var stages) = Variants[variant];
        stem = Blocks.ConvNormActivation(3, 32, 3, 1e-5, () => ReLU(), stride: 2);
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        int width = 32;
        for (int s = 0; s < stages.Length; s++)
        {
            var stage = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < stages[s].Depth; i++)
            {
                stage.Add(($"block{s + 1}-{i}", new ResBottleneckBlock(i == 0 ? width : stages[s].Width, stages[s].Width, i == 0 ? 2 : 1, stages[s].Group, se)));
            }
            blocks.Add(($"block{s + 1}", Sequential(stage.ToArray())));
            width = stages[s].Width;
        }
        trunk_output = Sequential(blocks.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(width, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = avgpool.call(trunk_output.call(stem.call(input))).flatten(1);
        return fc.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>regnet_y_*/regnet_x_*: target <c>trunk_output</c> (7x7 at 224), closed form through <c>fc</c>.</summary>
    public static IEnumerable<ArchitectureSpec> Specs() => Variants.Keys.Select(v => new ArchitectureSpec(
        v, n => new RegNet(v, n), "trunk_output", new(["trunk_output", "trunk_output.block4"], "fc"), $"torchvision.models.{v} (built by this project)",
        ["trunk_output.block1", "trunk_output.block2", "trunk_output.block3", "trunk_output"]));
}

/// <summary>torchvision's RegNet <c>ResBottleneckBlock</c>: ReLU(proj(x) or x, + f(x)), f = 1x1, grouped 3x3, [SE: round(width_in/4), ReLU, sigmoid], 1x1.</summary>
public sealed class ResBottleneckBlock : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor>? proj;
    private readonly Module<Tensor, Tensor> f;
    private readonly Module<Tensor, Tensor> activation;

    public ResBottleneckBlock(int input, int output, int stride, int groupWidth, bool se)
        : base(nameof(ResBottleneckBlock))
    {
        const double eps = 1e-5;
        if (input != output || stride != 1)
        {
            proj = Blocks.ConvNormActivation(input, output, 1, eps, null, stride: stride);
        }
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("a", Blocks.ConvNormActivation(input, output, 1, eps, () => ReLU())),
            ("b", Blocks.ConvNormActivation(output, output, 3, eps, () => ReLU(), stride: stride, groups: output / groupWidth)),
        };
        if (se)
        {
            layers.Add(("se", new SqueezeExcitation(output, (int)Math.Round(0.25 * input, MidpointRounding.ToEven), () => ReLU(), () => Sigmoid())));
        }
        layers.Add(("c", Blocks.ConvNormActivation(output, output, 1, eps, null)));
        f = Sequential(layers.ToArray());
        activation = ReLU();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor shortcut = proj is null ? input : proj.call(input);
        return activation.call(shortcut + f.call(input)).MoveToOuterDisposeScope();
    }
}
