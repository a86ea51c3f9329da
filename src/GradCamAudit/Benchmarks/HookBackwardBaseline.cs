using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using static TorchSharp.torch;

namespace GradCamAudit.Benchmarks;

/// <summary>
/// The cost users of pytorch-grad-cam pay, reproduced faithfully for the benchmark: per target class, a forward pass
/// with a hook on the target layer that keeps its activations (retain_grad), then a full backward of the selected
/// logits with gradients for every parameter (parameters require grad), then the CAM upsampled to the input.
/// Called once for the predicted class (taken from that forward) and once for the true class. A token or channels-last
/// trunk output is reshaped as pytorch-grad-cam's reshape_transform does (the model's <see cref="TrunkView"/>).
/// </summary>
public sealed class HookBackwardBaseline : IDisposable
{
    private readonly LoadedModel model;
    private Tensor? captured;

    public HookBackwardBaseline(LoadedModel model)
    {
        this.model = model;
    }

    /// <summary>Maps for the predicted and the true class, each with its own forward and full backward, upsampled to (H,W).</summary>
    public (Tensor Pred, Tensor True) Step(Tensor input, Tensor trueLabels, int height, int width)
    {
        foreach (var p in model.Network.parameters())
        {
            p.requires_grad = true;
        }
        var hook = model.Target.register_forward_hook((_, _, output) =>
        {
            captured?.Dispose();
            output.retain_grad();
            captured = output.alias().DetachFromDisposeScope();
            return null!;
        });
        try
        {
            Tensor pred = GradCam.Upsample(OneClass(input, null), height, width);
            Tensor truth = GradCam.Upsample(OneClass(input, trueLabels), height, width);
            return (pred, truth);
        }
        finally
        {
            hook.remove();
            foreach (var p in model.Network.parameters())
            {
                p.requires_grad = false;
            }
            model.Network.zero_grad();
        }
    }

    private Tensor OneClass(Tensor input, Tensor? classes)
    {
        using var scope = NewDisposeScope();
        model.Network.zero_grad();
        using (enable_grad())
        {
            Tensor logits = model.Network.call(input);
            Tensor target = classes ?? logits.argmax(1);
            logits.gather(1, target.unsqueeze(1)).sum().backward();
        }
        Tensor activations = captured ?? throw new InvalidOperationException("target layer did not run");
        Tensor grads = activations.grad ?? throw new InvalidOperationException("no gradient reached the target layer");
        Tensor maps = GradCam.Maps(model.View.ToGrid(activations.detach()), model.View.ToGrid(grads)).MoveToOuterDisposeScope();
        captured.Dispose();
        captured = null;
        return maps;
    }

    public void Dispose()
    {
        captured?.Dispose();
        captured = null;
    }
}
