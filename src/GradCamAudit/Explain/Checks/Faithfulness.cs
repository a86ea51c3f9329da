using static TorchSharp.torch;

namespace GradCamAudit.Explain.Checks;

/// <summary>
/// Deletion and insertion (Petsiuk et al. 2018, RISE, §4.1): the input's pixels are taken in order of the map
/// (upsampled to the input, highest first, ties by position), in <c>steps</c> equal stages. Deletion sets the taken
/// pixels to 0 in the normalised input (the dataset's mean colour) and follows the softmax probability of the class;
/// insertion starts from a blurred copy (Gaussian, 11 pixels, σ = 5, zero padding, as the paper's code) and puts the
/// taken pixels back. Each AUC is the trapezoid area under the probability over the taken fraction in [0, 1]: a
/// faithful map gives a low deletion AUC (the probability falls fast) and a high insertion AUC.
/// </summary>
public static class Faithfulness
{
    public const int BlurSize = 11;
    public const double BlurSigma = 5;

    /// <summary>(deletion AUC, insertion AUC) for one sample x (1,3,H,W), its map at input resolution (H,W) and class.</summary>
    public static (double Deletion, double Insertion) Auc(Tensor x, Tensor saliency, long cls, int steps, Func<Tensor, Tensor> logits, int chunk)
    {
        using var scope = NewDisposeScope();
        long h = x.shape[2], w = x.shape[3], hw = h * w;
        Tensor order = saliency.flatten().sort(0, descending: true, stable: true).Indices;
        Tensor rank = empty(hw, ScalarType.Int64, x.device).index_put_(arange(hw, device: x.device), order);
        Tensor counts = arange(steps + 1, ScalarType.Float64, x.device).mul(hw / (double)steps).round().to_type(ScalarType.Int64);
        Tensor taken = rank.unsqueeze(0).lt(counts.unsqueeze(1)).view(steps + 1, 1, h, w).to_type(x.dtype); // (S+1,1,H,W)
        Tensor blurred = Blur(x);
        double Curve(Func<int, int, Tensor> make)
        {
            var probabilities = new List<Tensor>();
            for (int start = 0; start <= steps; start += chunk)
            {
                int n = Math.Min(chunk, steps + 1 - start);
                probabilities.Add(nn.functional.softmax(logits(make(start, n)), 1).select(1, cls));
            }
            double[] p = cat(probabilities, 0).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            return (p.Sum() - ((p[0] + p[^1]) / 2)) / steps;
        }
        double deletion = Curve((start, n) => x * (1 - taken.narrow(0, start, n)));
        double insertion = Curve((start, n) => (blurred * (1 - taken.narrow(0, start, n))) + (x * taken.narrow(0, start, n)));
        return (deletion, insertion);
    }

    /// <summary>The insertion substrate: a per-channel Gaussian blur with zero padding.</summary>
    public static Tensor Blur(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor i = arange(BlurSize, ScalarType.Float64, x.device) - (BlurSize / 2);
        Tensor g = (-(i * i) / (2 * BlurSigma * BlurSigma)).exp();
        Tensor kernel = g.outer(g);
        kernel = (kernel / kernel.sum()).to_type(x.dtype).expand(x.shape[1], 1, BlurSize, BlurSize).contiguous();
        return nn.functional.conv2d(x, kernel, padding: [BlurSize / 2, BlurSize / 2], groups: x.shape[1]).MoveToOuterDisposeScope();
    }
}
