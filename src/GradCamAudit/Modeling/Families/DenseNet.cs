using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GradCamAudit.Modeling.Families;

/// <summary>
/// torchvision 0.14's DenseNet-BC (Huang et al. 2017; <c>torchvision.models.densenet</c>), the same state_dict:
/// <c>features</c> = conv0, norm0, relu0, pool0, denseblock1..4 with transition1..3 between them, norm5, then a
/// <c>classifier</c> linear. torchvision's forward applies <c>F.relu</c> to the features before the pooling; here that
/// ReLU is a parameter-free child <c>features.relu5</c>, so the target <c>features</c> is the map the head reads
/// (post-ReLU) and the head is global average pooling plus one linear layer. No key is added.
/// </summary>
public sealed class DenseNet : Module<Tensor, Tensor>
{
    /// <summary>growth rate, layers per block, initial features of densenet121/161/169/201.</summary>
    public static readonly IReadOnlyDictionary<int, (int Growth, int[] Blocks, int Init)> Variants = new Dictionary<int, (int, int[], int)>
    {
        [121] = (32, [6, 12, 24, 16], 64),
        [161] = (48, [6, 12, 36, 24], 96),
        [169] = (32, [6, 12, 32, 32], 64),
        [201] = (32, [6, 12, 48, 32], 64),
    };

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> classifier;

    public DenseNet(int depth, int numClasses, int bnSize = 4)
        : base($"DenseNet-{depth}")
    {
        (int growth, int[] blocks, int init) = Variants[depth];
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", Conv2d(3, init, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", BatchNorm2d(init)),
            ("relu0", ReLU()),
            ("pool0", MaxPool2d(3, stride: 2, padding: 1)),
        };
        int channels = init;
        for (int i = 0; i < blocks.Length; i++)
        {
            layers.Add(($"denseblock{i + 1}", new DenseBlock(blocks[i], channels, bnSize, growth)));
            channels += blocks[i] * growth;
            if (i < blocks.Length - 1)
            {
                layers.Add(($"transition{i + 1}", Sequential(
                    ("norm", BatchNorm2d(channels)), ("relu", ReLU()), ("conv", Conv2d(channels, channels / 2, 1, bias: false)), ("pool", AvgPool2d(2, stride: 2)))));
                channels /= 2;
            }
        }
        layers.Add(("norm5", BatchNorm2d(channels)));
        layers.Add(("relu5", ReLU()));
        features = Sequential(layers.ToArray());
        classifier = Linear(channels, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = functional.adaptive_avg_pool2d(features.call(input), 1).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>densenet121/161/169/201: target <c>features</c> (post-ReLU, 7x7 at 224), closed form through <c>classifier</c>.</summary>
    public static IEnumerable<ArchitectureSpec> Specs() => Variants.Keys.Select(d => new ArchitectureSpec(
        $"densenet{d}", n => new DenseNet(d, n), "features", new(["features", "features.relu5"], "classifier"),
        $"torchvision.models.densenet{d} (built by this project; features.relu5 is torchvision's functional ReLU)",
        ["features.denseblock1", "features.denseblock2", "features.denseblock3", "features"]));
}

/// <summary>torchvision's <c>_DenseBlock</c>: <c>denselayer1..n</c>, each fed the concatenation of the block input and every earlier layer's output.</summary>
public sealed class DenseBlock : Module<Tensor, Tensor>
{
    private readonly List<DenseLayer> layers = [];

    public DenseBlock(int count, int input, int bnSize, int growth)
        : base(nameof(DenseBlock))
    {
        for (int i = 0; i < count; i++)
        {
            var layer = new DenseLayer(input + (i * growth), bnSize, growth);
            layers.Add(layer);
            register_module($"denselayer{i + 1}", layer);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor> { input };
        foreach (DenseLayer layer in layers)
        {
            outputs.Add(layer.call(cat(outputs, 1)));
        }
        return cat(outputs, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>torchvision's <c>_DenseLayer</c>: BN-ReLU-1x1 conv (bnSize·growth) then BN-ReLU-3x3 conv (growth); its input is the concatenated features.</summary>
public sealed class DenseLayer : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> norm1;
    private readonly Module<Tensor, Tensor> relu1;
    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> norm2;
    private readonly Module<Tensor, Tensor> relu2;
    private readonly Module<Tensor, Tensor> conv2;

    public DenseLayer(int input, int bnSize, int growth)
        : base(nameof(DenseLayer))
    {
        norm1 = BatchNorm2d(input);
        relu1 = ReLU();
        conv1 = Conv2d(input, bnSize * growth, 1, bias: false);
        norm2 = BatchNorm2d(bnSize * growth);
        relu2 = ReLU();
        conv2 = Conv2d(bnSize * growth, growth, 3, padding: 1, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor bottleneck = conv1.call(relu1.call(norm1.call(input)));
        return conv2.call(relu2.call(norm2.call(bottleneck))).MoveToOuterDisposeScope();
    }
}
