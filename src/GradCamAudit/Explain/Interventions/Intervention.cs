using static TorchSharp.torch;

namespace GradCamAudit.Explain.Interventions;

/// <summary>What the model predicts for one sample with its background removed (object only) and with its object removed (background only).</summary>
public readonly record struct InterventionOutcome(int ObjectOnlyPred, float ObjectOnlyProb, int BackgroundOnlyPred, float BackgroundOnlyProb);

/// <summary>
/// Evidence by intervention (Singla et al. 2022, "Salient ImageNet"; the object/background split of Xiao et al. 2021,
/// "Noise or Signal: the role of image backgrounds"): the model runs twice more on a sample, once on the object alone
/// (every pixel outside the mask replaced) and once on the background alone (every pixel of the mask replaced, void
/// pixels too, since they are the object's uncertain border). A removed pixel becomes the normalisation mean, i.e. 0
/// in the model's input space: the baseline most attribution methods use, the same for every sample and class, and it
/// carries nothing of the removed region (a blur would keep the removed region's colour and coarse shape, exactly the
/// cues a shortcut may use: a marker's colour blob, a texture's mean tint). Pure tensor math on the device; one
/// batched forward in inference mode per chunk, two host transfers for the whole batch.
/// </summary>
public static class Intervention
{
    /// <summary>
    /// The object-only and background-only outcomes of the chosen samples of a batch: <paramref name="x"/> (B,3,H,W)
    /// normalised inputs, <paramref name="masks"/> (B,H,W) 0/1 object masks at input resolution, <paramref name="valid"/>
    /// (B,H,W) 1 where the mask is defined (null: everywhere), <paramref name="chosen"/> the batch indices.
    /// </summary>
    public static InterventionOutcome[] Run(Func<Tensor, Tensor> logits, Tensor x, Tensor masks, Tensor? valid, IReadOnlyList<long> chosen, int chunk)
    {
        if (chosen.Count == 0)
        {
            return [];
        }
        using var scope = NewDisposeScope();
        Tensor index = tensor(chosen.ToArray(), device: x.device);
        Tensor xs = x.index_select(0, index);
        Tensor objectPixels = masks.index_select(0, index).gt(0.5f);
        Tensor keepBackground = objectPixels.logical_not();
        if (valid is not null)
        {
            keepBackground = keepBackground.logical_and(valid.index_select(0, index).gt(0.5f));
        }
        Tensor objectOnly = xs * objectPixels.unsqueeze(1).to_type(xs.dtype);
        Tensor backgroundOnly = xs * keepBackground.unsqueeze(1).to_type(xs.dtype);
        (Tensor objPred, Tensor objProb) = Predict(logits, objectOnly, chunk);
        (Tensor bgPred, Tensor bgProb) = Predict(logits, backgroundOnly, chunk);
        long[] preds = stack([objPred, bgPred], 1).cpu().data<long>().ToArray();
        float[] probs = stack([objProb, bgProb], 1).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
        var result = new InterventionOutcome[chosen.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new InterventionOutcome((int)preds[2 * i], probs[2 * i], (int)preds[(2 * i) + 1], probs[(2 * i) + 1]);
        }
        return result;
    }

    /// <summary>The predicted class and its softmax probability of each input, <paramref name="chunk"/> inputs per forward.</summary>
    private static (Tensor Pred, Tensor Prob) Predict(Func<Tensor, Tensor> logits, Tensor inputs, int chunk)
    {
        var preds = new List<Tensor>();
        var probs = new List<Tensor>();
        long n = inputs.shape[0];
        for (long start = 0; start < n; start += chunk)
        {
            Tensor p = nn.functional.softmax(logits(inputs.narrow(0, start, Math.Min(chunk, n - start))).to_type(ScalarType.Float32), 1);
            (Tensor values, Tensor indices) = p.max(1);
            preds.Add(indices);
            probs.Add(values);
        }
        return (cat(preds, 0), cat(probs, 0));
    }
}
