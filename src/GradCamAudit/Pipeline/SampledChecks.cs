using GradCamAudit.Explain;
using GradCamAudit.Explain.Checks;
using GradCamAudit.Explain.Methods;
using GradCamAudit.Modeling;
using static TorchSharp.torch;

namespace GradCamAudit.Pipeline;

/// <summary>
/// The checks of the gradient methods that run on hashed samples of the run, inside the device stage: faithfulness
/// (<see cref="Faithfulness"/>: deletion and insertion AUC of each method's predicted-class map) and the sanity check
/// (<see cref="CascadingRandomisation"/>: each method's map of the originally predicted class after randomising the
/// layers from the output back to the target block, one more at a time, with its Spearman correlation to the trained
/// model's map). The trained weights are restored before the next batch, whatever happens.
/// </summary>
public sealed class SampledChecks : IDisposable
{
    private readonly GradCamExplainer explainer;
    private readonly IReadOnlyList<(string Name, CamMethod Method)> methods;
    private readonly SampleSelector? faithfulness;
    private readonly SampleSelector? sanity;
    private readonly int steps;
    private readonly int chunk;
    private readonly int height;
    private readonly int width;
    private readonly CascadingRandomisation? cascade;

    public SampledChecks(LoadedModel model, GradCamExplainer explainer, IReadOnlyList<(string Name, CamMethod Method)> methods,
        SampleSelector? faithfulness, int steps, SampleSelector? sanity, int seed, int chunk, int height, int width)
    {
        this.explainer = explainer;
        this.methods = methods;
        this.faithfulness = faithfulness;
        this.sanity = sanity;
        this.steps = steps;
        this.chunk = chunk;
        this.height = height;
        this.width = width;
        if (sanity != null)
        {
            using var scope = NewDisposeScope();
            cascade = new CascadingRandomisation(model, seed, zeros(1, 3, height, width, device: model.Device));
        }
    }

    /// <summary>A map of the sanity check: sample (index in the batch), method, cascade step and unit, class, map, correlation with the trained map.</summary>
    public sealed record SanityMap(int Sample, string Method, int Step, string Unit, int Class, float[] Map, double? Spearman);

    /// <summary>Which samples of a batch (by their <see cref="SampleSelector.Hash"/>) get deletion and insertion.</summary>
    public bool[]? FaithfulnessSamples(IEnumerable<ulong> hashes) => faithfulness == null ? null : hashes.Select(faithfulness.TakesHash).ToArray();

    /// <summary>Which samples of a batch (by their <see cref="SampleSelector.Hash"/>) get the sanity check.</summary>
    public bool[]? SanitySamples(IEnumerable<ulong> hashes) => sanity == null ? null : hashes.Select(sanity.TakesHash).ToArray();

    /// <summary>(sample, method) → (deletion AUC, insertion AUC) for the chosen samples, from each method's predicted-class maps (B,h,w).</summary>
    public Dictionary<(int Sample, string Method), (double Deletion, double Insertion)> Faithfulness(Tensor x, Tensor predicted, IReadOnlyDictionary<string, Tensor> predMaps, bool[]? chosen)
    {
        var result = new Dictionary<(int, string), (double, double)>();
        for (int i = 0; chosen != null && i < chosen.Length; i++)
        {
            if (!chosen[i])
            {
                continue;
            }
            using var scope = NewDisposeScope();
            long cls = predicted[i].item<long>();
            foreach ((string name, _) in methods)
            {
                Tensor saliency = GradCam.Upsample(predMaps[name].narrow(0, i, 1), height, width)[0];
                result[(i, name)] = Explain.Checks.Faithfulness.Auc(x.narrow(0, i, 1), saliency, cls, steps, explainer.Logits, chunk);
            }
        }
        return result;
    }

    /// <summary>The sanity check of the chosen samples: every method's map at every cascade step, through autograd (the closed form was verified against it on the trained weights only).</summary>
    public List<SanityMap> Sanity(Tensor x, Tensor predicted, IReadOnlyDictionary<string, Tensor> predMaps, bool[]? chosen)
    {
        var result = new List<SanityMap>();
        int[] index = chosen == null ? [] : Enumerable.Range(0, chosen.Length).Where(i => chosen[i]).ToArray();
        if (index.Length == 0 || cascade == null)
        {
            return result;
        }
        using var scope = NewDisposeScope();
        Tensor rows = tensor(index.Select(i => (long)i).ToArray(), device: x.device);
        Tensor xs = x.index_select(0, rows), classes = predicted.index_select(0, rows);
        long[] cls = classes.cpu().data<long>().ToArray();
        var trained = methods.ToDictionary(m => m.Name, m => predMaps[m.Name].index_select(0, rows).to_type(ScalarType.Float32).contiguous().cpu().data<float>().ToArray());
        bool closedForm = explainer.UsesClosedForm;
        explainer.PreferClosedForm(false);
        try
        {
            for (int step = 1; step <= cascade.Units.Count; step++)
            {
                using var stepScope = NewDisposeScope();
                cascade.RandomiseNext(step);
                EngineOutput o = explainer.Run(xs, classes, ["true"], null); // "true" = the class the trained model predicted
                foreach ((string name, CamMethod method) in methods)
                {
                    Tensor maps = o.Maps(method, "true");
                    int cells = (int)(maps.shape[1] * maps.shape[2]);
                    float[] values = maps.to_type(ScalarType.Float32).contiguous().cpu().data<float>().ToArray();
                    for (int j = 0; j < index.Length; j++)
                    {
                        float[] map = values.AsSpan(j * cells, cells).ToArray();
                        result.Add(new SanityMap(index[j], name, step, cascade.Units[step - 1], (int)cls[j], map,
                            Spearman.Correlation(trained[name].AsSpan(j * cells, cells).ToArray(), map)));
                    }
                }
            }
        }
        finally
        {
            cascade.Restore();
            explainer.PreferClosedForm(closedForm);
        }
        return result;
    }

    public void Dispose() => cascade?.Dispose();
}
