using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GradCamAudit.Modeling;

/// <summary>
/// The small CNN of the embedded demo: four 3x3 conv layers (two 2x max-pools), global average pooling and a
/// linear head. Module paths follow PyTorch naming: <c>features.0</c> … <c>features.9</c>, <c>pool</c>,
/// <c>classifier</c>. At a 64x64 input the default target layer <c>features.9</c> gives a 16x16 map.
/// </summary>
public sealed class DemoCnn : Module<Tensor, Tensor>
{
    /// <summary>The default Grad-CAM target layer (the last conv block's ReLU).</summary>
    public const string DefaultTargetLayer = "features.9";

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> pool;
    private readonly Module<Tensor, Tensor> classifier;

    public DemoCnn(int numClasses)
        : base(nameof(DemoCnn))
    {
        features = Sequential(
            Conv2d(3, 16, 3, padding: 1), ReLU(), MaxPool2d(2),
            Conv2d(16, 32, 3, padding: 1), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, 3, padding: 1), ReLU(),
            Conv2d(64, 64, 3, padding: 1), ReLU());
        pool = AdaptiveAvgPool2d(1);
        classifier = Linear(64, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = features.call(input);
        x = pool.call(x).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }
}
