using static TorchSharp.torch;

namespace GradCamAudit.Explain.Methods;

/// <summary>
/// What a perturbation method sees for one sample: the normalised input x (1,3,H,W), the target-layer activations A
/// (1,K,h,w), the unperturbed logits (C), and two forward callbacks of the network in inference mode:
/// <see cref="Forward"/> (inputs (n,3,H,W) to logits (n,C)) and <see cref="ForwardFromTarget"/> (the logits (n,C)
/// when the target layer's output is replaced by the given activations (n,K,h,w)). <see cref="Chunk"/> bounds how
/// many perturbed copies go through the network at once (memory).
/// </summary>
public sealed record PerturbationInput(Tensor Input, Tensor Activations, Tensor Logits, Func<Tensor, Tensor> Forward, Func<Tensor, Tensor> ForwardFromTarget, int Chunk);

/// <summary>
/// A CAM method that weighs the target layer's channels by how the network's output responds when the input or the
/// activations are perturbed, one forward pass per channel: hundreds per image, so it runs on a sample of the run
/// (<c>explain.perturbationSample</c>). The channel weights of every class come from the same forward passes, so the
/// method returns them for all classes at once (C,K); the map of class c is ReLU(Σ_k w[c,k]·A_k).
/// </summary>
public abstract class PerturbationMethod
{
    public abstract string Name { get; }

    /// <summary>Channel weights (C,K) of every class for one sample.</summary>
    public abstract Tensor ClassWeights(PerturbationInput input);

    /// <summary>The maps (T,h,w) of one sample for the target classes (T).</summary>
    public Tensor Maps(PerturbationInput input, Tensor classes)
    {
        using var scope = NewDisposeScope();
        Tensor w = ClassWeights(input).index_select(0, classes); // (T,K)
        return nn.functional.relu((w.unsqueeze(-1).unsqueeze(-1) * input.Activations).sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Runs <paramref name="forward"/> over <paramref name="count"/> perturbed copies made <paramref name="chunk"/> at a time; (count, C).</summary>
    protected static Tensor Chunked(int count, int chunk, Func<int, int, Tensor> make, Func<Tensor, Tensor> forward)
    {
        var parts = new List<Tensor>();
        for (int start = 0; start < count; start += chunk)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(chunk, count - start);
            parts.Add(forward(make(start, n)).MoveToOuterDisposeScope());
        }
        return cat(parts, 0);
    }
}

/// <summary>
/// Score-CAM (Wang et al. 2020, Algorithm 1): each channel A_k, upsampled bilinearly to the input and min-max
/// normalised to [0, 1] (a constant channel masks everything: all zeros), masks the input, H_k = x ⊙ norm(up(A_k));
/// the channel weights of class c are the softmax over channels of the masked inputs' logits, α_k = softmax_k(y_c(H_k))
/// (the paper's baseline subtraction f(x_b) is a constant shift the softmax removes); map = ReLU(Σ_k α_k A_k).
/// </summary>
public sealed class ScoreCam : PerturbationMethod
{
    public override string Name => "scorecam";

    public override Tensor ClassWeights(PerturbationInput x)
    {
        using var scope = NewDisposeScope();
        long height = x.Input.shape[2], width = x.Input.shape[3];
        Tensor up = GradCam.Upsample(x.Activations[0], (int)height, (int)width); // (K,H,W)
        Tensor min = up.amin([1, 2], keepdim: true), range = up.amax([1, 2], keepdim: true) - min;
        Tensor masks = where(range.gt(0), (up - min) / range.clamp_min(1e-30), zeros_like(up));
        int k = (int)masks.shape[0];
        Tensor scores = Chunked(k, x.Chunk, (start, n) => x.Input * masks.narrow(0, start, n).unsqueeze(1), x.Forward); // (K,C)
        return nn.functional.softmax(scores.t(), 1).MoveToOuterDisposeScope(); // (C,K)
    }
}

/// <summary>
/// Ablation-CAM (Desai and Ramaswamy 2020, eq. 3): w_k = (y_c − y_c^k) / y_c, where y_c^k is the class-c logit with
/// channel k of the target layer set to zero (the layers after the target run on the ablated activations); map =
/// ReLU(Σ_k w_k A_k). The division by y_c follows the paper (its sign flips the weights when y_c is negative).
/// </summary>
public sealed class AblationCam : PerturbationMethod
{
    public override string Name => "ablationcam";

    public override Tensor ClassWeights(PerturbationInput x)
    {
        using var scope = NewDisposeScope();
        Tensor a = x.Activations[0]; // (K,h,w)
        int k = (int)a.shape[0];
        Tensor ablated = Chunked(k, x.Chunk, (start, n) =>
        {
            // Copy j zeroes channel start + j.
            Tensor keep = 1 - nn.functional.one_hot(arange(start, start + n, device: a.device), k).to_type(a.dtype).view(n, k, 1, 1);
            return a.unsqueeze(0) * keep;
        }, x.ForwardFromTarget); // (K,C)
        Tensor y = x.Logits.unsqueeze(0); // (1,C)
        return ((y - ablated) / y).t().MoveToOuterDisposeScope(); // (C,K)
    }
}
