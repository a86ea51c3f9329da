using static TorchSharp.torch;

namespace GradCamAudit.Explain.Methods;

/// <summary>Grad-CAM (Selvaraju et al. 2017, eq. 1-2): α_k = mean_ij G_k(i,j); map = ReLU(Σ_k α_k A_k).</summary>
public sealed class GradCamMethod : CamMethod
{
    public override string Name => "gradcam";

    public override Tensor Compute(CamInput x) => Weighted(x.Activations, x.Gradients.mean([2, 3]));
}

/// <summary>
/// CAM (Zhou et al. 2016, eq. 2): map = ReLU(Σ_k W[c,k] A_k) for a global-average-pooling + linear head reading the
/// target (the paper's map is unclipped; the ReLU keeps it a non-negative mass like every other method's, and does
/// not change where it is high). Needs the architecture's declared head.
/// </summary>
public sealed class CamZhou : CamMethod
{
    public override string Name => "cam";

    public override bool UsesGradients => false;

    public override Tensor Compute(CamInput x) =>
        Weighted(x.Activations, (x.HeadWeight ?? throw new InvalidOperationException("CAM needs a GAP+linear head")).index_select(0, x.Classes));
}

/// <summary>
/// Grad-CAM++ (Chattopadhyay et al. 2018, eq. 19, with the exponential output of §3.2 that turns the higher-order
/// derivatives into powers of the first): α_kij = G² / (2G² + Σ_ab A_k(a,b)·G³), 0 where G = 0;
/// w_k = Σ_ij α_kij·ReLU(G_k(i,j)); map = ReLU(Σ_k w_k A_k).
/// </summary>
public sealed class GradCamPlusPlus : CamMethod
{
    public override string Name => "gradcam++";

    public override Tensor Compute(CamInput x)
    {
        Tensor g = x.Gradients, g2 = g.square(), g3 = g2 * g;
        Tensor sumA = x.Activations.sum([2, 3], keepdim: true);
        Tensor alpha = g2 / ((2 * g2) + (sumA * g3) + Eps);
        alpha = where(g.ne(0), alpha, zeros_like(alpha));
        return Weighted(x.Activations, (alpha * nn.functional.relu(g)).sum([2, 3]));
    }
}

/// <summary>XGrad-CAM (Fu et al. 2020, eq. 9): w_k = Σ_ij (A_k(i,j) / Σ_ab A_k(a,b))·G_k(i,j); map = ReLU(Σ_k w_k A_k).</summary>
public sealed class XGradCam : CamMethod
{
    public override string Name => "xgradcam";

    public override Tensor Compute(CamInput x) =>
        Weighted(x.Activations, (x.Gradients * x.Activations).sum([2, 3]) / (x.Activations.sum([2, 3]) + Eps));
}

/// <summary>HiResCAM (Draelos and Carin 2020, eq. 4): map = ReLU(Σ_k G_k ⊙ A_k), the element-wise product before the channel sum.</summary>
public sealed class HiResCam : CamMethod
{
    public override string Name => "hirescam";

    public override Tensor Compute(CamInput x) => nn.functional.relu((x.Gradients * x.Activations).sum(1));
}

/// <summary>LayerCAM (Jiang et al. 2021, eq. 5-6): per-location weights ReLU(G); map = ReLU(Σ_k ReLU(G_k) ⊙ A_k).</summary>
public sealed class LayerCam : CamMethod
{
    public override string Name => "layercam";

    public override Tensor Compute(CamInput x) => nn.functional.relu((nn.functional.relu(x.Gradients) * x.Activations).sum(1));
}

/// <summary>
/// Eigen-CAM (Muhammad and Yeasin 2020): the projection of the activations on their first principal component.
/// Per sample, X (h·w, K) is A with each channel centred over the positions; map = X·v₁ with v₁ the first right
/// singular vector. A singular vector's sign is arbitrary: it is fixed so that the map correlates positively with
/// the mean activation over channels (where the layer is active), then ReLU. Class-agnostic: the same map for
/// every target.
/// </summary>
public sealed class EigenCam : CamMethod
{
    public override string Name => "eigencam";

    public override bool UsesGradients => false;

    public override Tensor Compute(CamInput x)
    {
        long b = x.Activations.shape[0], k = x.Activations.shape[1], h = x.Activations.shape[2], w = x.Activations.shape[3];
        Tensor a = x.Activations.to_type(ScalarType.Float64).reshape(b, k, h * w).transpose(1, 2);
        Tensor centred = a - a.mean([1], keepdim: true);
        (_, _, Tensor vh) = linalg.svd(centred, fullMatrices: false);
        Tensor projection = centred.matmul(vh.select(1, 0).unsqueeze(-1)).squeeze(-1);
        Tensor meanActivation = a.mean([2]);
        Tensor agreement = ((projection - projection.mean([1], keepdim: true)) * (meanActivation - meanActivation.mean([1], keepdim: true))).sum(1, keepdim: true);
        projection = where(agreement.lt(0), -projection, projection);
        return nn.functional.relu(projection).reshape(b, h, w).to_type(x.Activations.dtype);
    }
}
