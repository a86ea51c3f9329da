using GradCamAudit.Explain;
using GradCamAudit.Explain.Interventions;
using GradCamAudit.Explain.Methods;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Results;
using GradCamAudit.Scoring;
using GradCamAudit.Scoring.Metrics;
using static TorchSharp.torch;

namespace GradCamAudit.Pipeline;

/// <summary>
/// The device stage: normalises a decoded batch on the device (<see cref="BatchPacking"/>), explains it (forward +
/// Grad-CAM for the predicted and the true class), scores both maps against the masks at input resolution, and brings
/// back only the per-sample scalars (<see cref="SampleScalars"/>) and the small raw maps, from which
/// <see cref="BatchRows"/> assembles the rows on the host.
/// </summary>
public sealed class BatchScorer : IBatchScorer, IDisposable
{
    private readonly IReadOnlyList<MaskMetric> metrics;
    private readonly int liftIndex;
    private readonly bool pointing;
    private readonly bool topRegion;
    private readonly IReadOnlyList<string> targets;
    private readonly IReadOnlyList<(string Method, string Target)> combos;
    private readonly Dictionary<string, CamMethod> methods;
    private readonly IReadOnlyList<PerturbationMethod> perturbationMethods;
    private readonly SampleSelector? perturbationSelector;
    private readonly int perturbationBatch;
    private readonly int seed;
    private readonly SampledChecks? checks;
    private readonly string primary;
    private readonly string storeMaps;
    private readonly LoadedModel model;
    private readonly GradCamExplainer explainer;
    private readonly IReadOnlyList<string> classes;
    private readonly AuditSettings settings;
    private readonly MetricSettings metricSettings;
    private readonly Tensor mean;
    private readonly Tensor std;
    private readonly int height;
    private readonly int width;
    private readonly float valueScale;
    private readonly InterventionPlan? interventions;
    private readonly BatchRows rows;

    public BatchScorer(LoadedModel model, ModelOptions modelOptions, AuditSettings settings, IReadOnlyList<string> classes, ExplainOptions? explain = null,
        SampleSelector? perturbationSelector = null, SampleSelector? faithfulnessSelector = null, SampleSelector? sanitySelector = null,
        InterventionPlan? interventions = null)
    {
        this.interventions = interventions;
        explain ??= ExplainOptions.Default;
        metrics = MetricCatalogue.Select(explain.Metrics);
        liftIndex = metrics.ToList().FindIndex(m => m.Info.Column == "energy_lift");
        pointing = metrics.Any(m => m is PointingGame);
        topRegion = metrics.Any(m => m is IouTop);
        targets = CamTargets.Expand(explain.Targets);
        IReadOnlyList<string> gradientMethods = explain.Methods.Where(m => !CamMethods.IsPerturbation(m)).ToArray();
        methods = gradientMethods.ToDictionary(n => n, CamMethods.Create, StringComparer.Ordinal);
        perturbationMethods = explain.Methods.Where(CamMethods.IsPerturbation).Select(CamMethods.CreatePerturbation).ToArray();
        this.perturbationSelector = perturbationMethods.Count > 0 ? perturbationSelector : null;
        perturbationBatch = explain.PerturbationBatchSize;
        seed = explain.Seed;
        primary = explain.Primary;
        storeMaps = explain.StoreMaps;
        if (model.HeadWeight is null && methods.ContainsKey("cam"))
        {
            throw new ConfigException($"explain.methods: 'cam' needs a global-average-pooling + linear head reading the target layer, which {modelOptions.Architecture} at '{model.TargetPath}' does not declare; use gradcam");
        }
        // The primary method's predicted- and true-class maps first (the main table), then every other (method, target).
        combos = [(primary, "pred"), (primary, "true"),
            .. gradientMethods.SelectMany(m => targets.Select(t => (m, t))).Where(c => c != (primary, "pred") && c != (primary, "true"))];
        this.model = model;
        this.settings = settings;
        this.classes = classes;
        explainer = new GradCamExplainer(model);
        metricSettings = new MetricSettings(settings.PointingTolerancePx, settings.IouTopFraction);
        height = modelOptions.InputHeight;
        width = modelOptions.InputWidth;
        valueScale = modelOptions.Preprocess.ValueScale;
        if (faithfulnessSelector != null || sanitySelector != null)
        {
            checks = new SampledChecks(model, explainer, gradientMethods.Select(n => (n, methods[n])).ToArray(), faithfulnessSelector, explain.FaithfulnessSteps,
                sanitySelector, explain.Seed, perturbationBatch, height, width);
        }
        rows = new BatchRows(classes, targets, combos, metrics, settings, primary, storeMaps);
        mean = tensor(modelOptions.Mean.ToArray(), [1, 3, 1, 1], device: model.Device).DetachFromDisposeScope();
        std = tensor(modelOptions.Std.ToArray(), [1, 3, 1, 1], device: model.Device).DetachFromDisposeScope();
    }

    /// <summary>How the maps are computed: "closed-form" (GAP+linear head, verified) or "autograd".</summary>
    public string Method => explainer.UsesClosedForm ? "closed-form" : "autograd";

    /// <summary>
    /// Runs the model on a zero batch to check the target layer runs and the head has the configured class count,
    /// then verifies the closed form against autograd where the head qualifies. Returns the map size.
    /// </summary>
    public (int CamHeight, int CamWidth) Probe()
    {
        using var scope = NewDisposeScope();
        Tensor x = zeros([2, 3, height, width], device: model.Device);
        Explanation e;
        try
        {
            e = explainer.Explain(x, zeros([2], ScalarType.Int64, model.Device));
        }
        catch (Exception ex) when (ex is not ConfigException)
        {
            throw new ConfigException($"model: a forward pass at {height}x{width} with target '{model.TargetPath}' failed: {ex.Message}");
        }
        if (e.Logits.dim() != 2 || e.Logits.shape[1] != classes.Count)
        {
            throw new ConfigException($"model.numClasses: the model outputs logits of shape [{string.Join(", ", e.Logits.shape)}] but {classes.Count} classes are configured");
        }
        if (e.PredMaps.dim() != 3)
        {
            throw new ConfigException($"model.targetLayer: '{model.TargetPath}' does not output a (batch, channels, height, width) map");
        }
        // Seeded, so the probe (and the route it chooses) is the same on every run of the same model.
        using var generator = new Generator(20171007, CPU);
        ClosedFormDifference = explainer.VerifyClosedForm(randn([2, 3, height, width], generator: generator).to(model.Device));
        return ((int)e.PredMaps.shape[1], (int)e.PredMaps.shape[2]);
    }

    /// <summary>The relative difference between closed form and autograd found by <see cref="Probe"/> (null: no qualifying head).</summary>
    public double? ClosedFormDifference { get; private set; }

    /// <summary>Tensor-side work for one batch; host-side row assembly follows in <see cref="Score"/>.</summary>
    public ScoredBatch Score(DecodedBatch batch)
    {
        if (batch.Samples.Count == 0)
        {
            return new ScoredBatch([], batch.Errors);
        }
        using var scope = NewDisposeScope();
        PackedBatch packed = BatchPacking.Pack(batch.Samples, height, width, valueScale, mean, std, model.Device);
        // The pointing game's tolerance region, from the decoded masks on the host (shared by every map of the batch).
        Tensor? near = pointing ? MaskMetrics.Near(packed.HostMasks, settings.PointingTolerancePx, model.Device) : null;
        // One hash per sample serves every sampled check (they share explain.seed).
        ulong[] hashes = perturbationSelector == null && checks == null && interventions == null ? [] : batch.Samples.Select(d => SampleSelector.Hash(seed, d.Entry.Source.SampleId)).ToArray();
        bool[]? perturb = perturbationSelector == null ? null : hashes.Select(perturbationSelector.TakesHash).ToArray();
        StepResult step = Step(packed.Input, packed.Masks, packed.Labels, packed.Valid, perturb, checks?.FaithfulnessSamples(hashes), checks?.SanitySamples(hashes), near);
        Dictionary<int, InterventionResult> intervened = Intervene(batch, step.Scalars, hashes, packed);
        return rows.Assemble(batch, step, intervened);
    }

    /// <summary>
    /// The interventions of a batch (<see cref="Intervention"/>): a sample with a mask and finite outputs is intervened on
    /// when it is among its class's controls, or when it is a candidate of a finding (misclassified, or its predicted-class
    /// map off the object, by the audit's own per-sample rule) among its class's hash-chosen candidates. Decided from the
    /// sample alone (its id's hash and its own scalars), so shards and resumed runs intervene on the same samples.
    /// </summary>
    private long intervened;

    /// <summary>Samples intervened on so far (object only and background only), over every batch of this scorer.</summary>
    public long Intervened => Interlocked.Read(ref intervened);

    private Dictionary<int, InterventionResult> Intervene(DecodedBatch batch, double[] s, ulong[] hashes, PackedBatch packed)
    {
        var result = new Dictionary<int, InterventionResult>();
        if (interventions is null)
        {
            return result;
        }
        var chosen = new List<long>();
        var roles = new List<string>();
        for (int i = 0; i < batch.Samples.Count; i++)
        {
            var r = new SampleScalars(s, i, combos.Count, metrics.Count);
            if (r.MaskEmpty || !double.IsFinite(r.Confidence))
            {
                continue; // no object to keep or remove, or an output that will be an error
            }
            int label = batch.Samples[i].Entry.Label;
            bool candidate = r.Predicted != label || r.PrimaryMapAllZero || r.Metrics(0)[liftIndex] < settings.OffObjectLiftThreshold;
            string? role = interventions.Controls.Takes(label, hashes[i]) ? InterventionResult.Control
                : candidate && interventions.Candidates.Takes(label, hashes[i]) ? InterventionResult.Candidate : null;
            if (role != null)
            {
                chosen.Add(i);
                roles.Add(role);
            }
        }
        InterventionOutcome[] outcomes = Intervention.Run(explainer.Logits, packed.Input, packed.Masks, packed.Valid, chosen, perturbationBatch);
        Interlocked.Add(ref intervened, outcomes.Length);
        for (int k = 0; k < outcomes.Length; k++)
        {
            InterventionOutcome o = outcomes[k];
            result[(int)chosen[k]] = new InterventionResult(roles[k], o.ObjectOnlyPred, o.ObjectOnlyProb, o.BackgroundOnlyPred, o.BackgroundOnlyProb);
        }
        return result;
    }

    /// <summary>What one audit step brings back to the host: per-sample scalars, raw maps of every (method, target), target classes.</summary>
    public sealed record StepResult(double[] Scalars, float[] Maps, long[] TargetClasses, int CamHeight, int CamWidth, IReadOnlyList<PerturbedMap> Perturbed,
        IReadOnlyDictionary<(int Sample, string Method), (double Deletion, double Insertion)> Faithfulness, IReadOnlyList<SampledChecks.SanityMap> Sanity);

    /// <summary>A perturbation method's map of one sample (index in the batch) and target, with its metrics.</summary>
    public sealed record PerturbedMap(int Sample, string Method, string Target, int Class, float[] Map, double[] Metrics);

    /// <summary>
    /// The audit step on device tensors: one forward and one gradient per target (the engine), the maps of every
    /// (method, target) from them, upsampled and scored by the enabled metrics; brings back the per-sample scalars
    /// (B × (5 + combos × metrics): predicted class, confidence, true-class probability, mask fraction, primary map all
    /// zero, then the metrics of each (method, target), the primary method's predicted and true class first), the
    /// raw maps (B × combos × h·w) and the target classes (B × targets): three host transfers per batch. <c>near</c> is
    /// the masks' pointing-game tolerance region (<see cref="MaskMetrics.Near"/>), made from the masks when the pointing
    /// game is enabled and it is not given.
    /// </summary>
    public StepResult Step(Tensor x, Tensor masks, Tensor labels, Tensor? valid = null, bool[]? perturb = null, bool[]? faithful = null, bool[]? sane = null, Tensor? near = null)
    {
        using var scope = NewDisposeScope();
        EngineOutput o = explainer.Run(x, labels, targets, classes);
        Tensor probs = nn.functional.softmax(o.Logits, 1);
        Tensor conf = probs.gather(1, o.Predicted.unsqueeze(1)).squeeze(1);
        Tensor trueProb = probs.gather(1, labels.unsqueeze(1)).squeeze(1);
        Tensor[] maps = combos.Select(c => o.Maps(methods[c.Method], c.Target)).ToArray();
        near ??= pointing ? MaskMetrics.Near(masks, settings.PointingTolerancePx) : null;
        Tensor? maskBytes = topRegion ? masks.gt(0).to_type(ScalarType.Byte).contiguous() : null; // shared by the maps' host kernels
        var columns = new List<Tensor> { o.Predicted, conf, trueProb };
        for (int c = 0; c < maps.Length; c++)
        {
            // Each map's full-resolution temporaries are freed before the next map's are made, so a batch reuses the
            // same warm memory ten times instead of holding (and page-faulting in) ten maps' worth.
            using var mapScope = NewDisposeScope();
            var context = new MetricContext(GradCam.Upsample(maps[c], height, width), masks, maps[c], metricSettings, valid, near, maskBytes);
            if (c == 0)
            {
                columns.Add((valid is null ? masks.mean([1, 2]) : context.Fraction).MoveToOuterDisposeScope());
                columns.Add(context.Total.le(0).MoveToOuterDisposeScope());
            }
            columns.AddRange(metrics.Select(m => m.Evaluate(context).MoveToOuterDisposeScope()).ToArray());
        }
        Tensor scalars = stack(columns.Select(t => t.to_type(ScalarType.Float64)).ToArray(), 1).cpu();
        Tensor allMaps = stack(maps, 1).to_type(ScalarType.Float32).contiguous().cpu();
        Tensor targetClasses = stack(targets.Select(t => o.Targets[t].Classes).ToArray(), 1).cpu();
        var predMaps = combos.Select((c, i) => (c, i)).Where(x => x.c.Target == "pred").ToDictionary(x => x.c.Method, x => maps[x.i], StringComparer.Ordinal);
        return new StepResult(scalars.data<double>().ToArray(), allMaps.data<float>().ToArray(), targetClasses.data<long>().ToArray(),
            (int)maps[0].shape[1], (int)maps[0].shape[2], Perturbations(o, x, masks, valid, perturb),
            checks?.Faithfulness(x, o.Predicted, predMaps, faithful) ?? [], checks?.Sanity(x, o.Predicted, predMaps, sane) ?? []);
    }

    /// <summary>
    /// The perturbation methods on the chosen samples of the batch, one sample at a time (each costs one forward pass
    /// per target-layer channel, chunked): the maps of every target from the same passes, scored by the same metrics.
    /// </summary>
    private List<PerturbedMap> Perturbations(EngineOutput o, Tensor x, Tensor masks, Tensor? valid, bool[]? perturb)
    {
        var result = new List<PerturbedMap>();
        if (perturb == null)
        {
            return result;
        }
        for (int i = 0; i < perturb.Length; i++)
        {
            if (!perturb[i])
            {
                continue;
            }
            using var scope = NewDisposeScope();
            Tensor sample = x.narrow(0, i, 1);
            var input = new PerturbationInput(sample, o.Activations.narrow(0, i, 1), o.Logits[i], explainer.Logits, a => explainer.ForwardFromTarget(sample, a), perturbationBatch);
            Tensor targetClasses = stack(targets.Select(t => o.Targets[t].Classes[i]).ToArray());
            long[] cls = targetClasses.cpu().data<long>().ToArray();
            foreach (PerturbationMethod method in perturbationMethods)
            {
                Tensor maps = method.Maps(input, targetClasses); // (T,h,w)
                var context = new MetricContext(GradCam.Upsample(maps, height, width), masks.narrow(0, i, 1).expand(targets.Count, -1, -1), maps, metricSettings,
                    valid?.narrow(0, i, 1).expand(targets.Count, -1, -1));
                double[] scores = stack(metrics.Select(m => m.Evaluate(context).to_type(ScalarType.Float64)).ToArray(), 1).cpu().data<double>().ToArray();
                float[] values = maps.to_type(ScalarType.Float32).contiguous().cpu().data<float>().ToArray();
                int cells = (int)(maps.shape[1] * maps.shape[2]);
                for (int t = 0; t < targets.Count; t++)
                {
                    result.Add(new PerturbedMap(i, method.Name, targets[t], (int)cls[t], values.AsSpan(t * cells, cells).ToArray(), scores.AsSpan(t * metrics.Count, metrics.Count).ToArray()));
                }
            }
        }
        return result;
    }

    /// <summary>Chooses the closed form (only where verified by <see cref="Probe"/>) or autograd; benchmarks compare both.</summary>
    public void PreferClosedForm(bool prefer) => explainer.PreferClosedForm(prefer);

    /// <summary>True when <see cref="Probe"/> verified the closed form on this model.</summary>
    public bool ClosedFormAvailable => explainer.ClosedFormVerified;

    public void Dispose()
    {
        checks?.Dispose();
        explainer.Dispose();
        mean.Dispose();
        std.Dispose();
    }
}
