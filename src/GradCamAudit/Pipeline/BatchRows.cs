using GradCamAudit.Data;
using GradCamAudit.Options;
using GradCamAudit.Results;
using GradCamAudit.Scoring.Metrics;

namespace GradCamAudit.Pipeline;

/// <summary>
/// Host-side row assembly of one scored batch: a <see cref="ResultRow"/> per audited sample, an
/// <see cref="ExplanationRow"/> per (sample, method, target), and an error (with its reason code) for every sample
/// whose outputs are not finite. Pure: it reads the step's scalars and maps and the batch's samples.
/// </summary>
internal sealed class BatchRows(
    IReadOnlyList<string> classes, IReadOnlyList<string> targets, IReadOnlyList<(string Method, string Target)> combos, IReadOnlyList<MaskMetric> metrics,
    AuditSettings settings, string primary, string storeMaps)
{
    private readonly int liftIndex = metrics.ToList().FindIndex(m => m.Info.Column == "energy_lift");

    public ScoredBatch Assemble(DecodedBatch batch, BatchScorer.StepResult step, IReadOnlyDictionary<int, InterventionResult> intervened)
    {
        int b = batch.Samples.Count;
        var rows = new List<ResultRow>(b);
        var explanations = new List<ExplanationRow>(b * combos.Count);
        var errors = new List<SampleError>(batch.Errors);
        var audited = new bool[b];
        for (int i = 0; i < b; i++)
        {
            if (Audit(batch.Samples[i], i, step, intervened, rows, explanations) is SampleError error)
            {
                errors.Add(error);
                continue;
            }
            audited[i] = true;
        }
        int ch = step.CamHeight, cw = step.CamWidth;
        foreach (BatchScorer.PerturbedMap p in step.Perturbed.Where(p => audited[p.Sample]))
        {
            ManifestRow source = batch.Samples[p.Sample].Entry.Source;
            explanations.Add(new ExplanationRow(source.SampleId, source.Row, p.Method, p.Target, p.Class, classes[p.Class], ch, cw,
                storeMaps == "all" ? p.Map : [], Values(p.Metrics)));
        }
        foreach (SampledChecks.SanityMap p in step.Sanity.Where(p => audited[p.Sample]))
        {
            ManifestRow source = batch.Samples[p.Sample].Entry.Source;
            explanations.Add(new ExplanationRow(source.SampleId, source.Row, p.Method, $"randomised:{p.Step}:{p.Unit}", p.Class, classes[p.Class], ch, cw,
                storeMaps == "all" ? p.Map : [], new object?[metrics.Count], SanitySpearman: p.Spearman));
        }
        errors.Sort((x, y) => x.Row.CompareTo(y.Row));
        return new ScoredBatch(rows, errors, explanations);
    }

    /// <summary>The rows of sample <paramref name="i"/>, or the error that replaces them.</summary>
    private SampleError? Audit(DecodedSample sample, int i, BatchScorer.StepResult step, IReadOnlyDictionary<int, InterventionResult> intervened,
        List<ResultRow> rows, List<ExplanationRow> explanations)
    {
        var r = new SampleScalars(step.Scalars, i, combos.Count, metrics.Count);
        ManifestRow source = sample.Entry.Source;
        int ch = step.CamHeight, cw = step.CamWidth;
        int camLength = ch * cw;
        int mapLength = combos.Count * camLength;
        ReadOnlySpan<float> sampleMaps = step.Maps.AsSpan(i * mapLength, mapLength);
        // Non-finite logits (softmax NaN) or maps never reach the results: the sample is an error.
        if (!double.IsFinite(r.Confidence) || !double.IsFinite(r.TrueProbability) || !AllFinite(sampleMaps))
        {
            return new SampleError(source.Row, source.SampleId, source.Image, ReasonCodes.NonFiniteOutput, "the model gave non-finite logits or maps for this sample");
        }
        // Finite maps whose float32 sums overflow give non-finite metrics: off_object would silently read false
        // (NaN < threshold), so the sample is never flagged. Such a sample is an error, not a verdict.
        // (An all-zero map, ReLU having removed everything, legitimately has no lift: its metrics are null, not an error.)
        if (!r.MaskEmpty && ((!double.IsFinite(r.Metrics(0)[liftIndex]) && AnyPositive(sampleMaps[..camLength]))
            || (!double.IsFinite(r.Metrics(1)[liftIndex]) && AnyPositive(sampleMaps.Slice(camLength, camLength)))))
        {
            return new SampleError(source.Row, source.SampleId, source.Image, ReasonCodes.NonFiniteOutput, "the map's values overflow when summed: its mask metrics are not finite");
        }
        int pred = r.Predicted;
        bool correct = pred == sample.Entry.Label;
        double predLift = r.Metrics(0)[liftIndex];
        bool? off = r.MaskEmpty ? null : (r.PrimaryMapAllZero || predLift < settings.OffObjectLiftThreshold);
        float[] Cam(int combo) => step.Maps.AsSpan((i * mapLength) + (combo * camLength), camLength).ToArray();
        rows.Add(new ResultRow(
            source.SampleId, source.Row, source.Image,
            sample.Entry.Label, classes[sample.Entry.Label], pred, classes[pred],
            (float)r.Confidence, (float)r.TrueProbability, r.MaskFraction, Values(r.Metrics(0)), Values(r.Metrics(1)),
            off, off.HasValue ? !correct && off.Value : null, off.HasValue ? correct && off.Value : null,
            ch, cw, Cam(0), Cam(1),
            // A confident misclassification whose predicted-class map is on the object: the model may be right and the label wrong.
            r.MaskEmpty || double.IsNaN(predLift) ? null : !correct && r.Confidence >= settings.LabelErrorMinConfidence && predLift >= settings.LabelErrorMinLift,
            sample.ImageSha256, source.Extra, sample.Entry.MaskDescription, intervened.GetValueOrDefault(i), sample.Entry.MaskSource));
        for (int c = 0; c < combos.Count; c++)
        {
            (string method, string target) = combos[c];
            int cls = (int)step.TargetClasses[(i * targets.Count) + targets.ToList().IndexOf(target)];
            // Every map is stored once: the primary method's predicted- and true-class maps are the results' pred_cam and
            // true_cam (joined by sample_id), so their explanation rows hold the scalars and an empty map.
            bool inResults = method == primary && target is "pred" or "true";
            bool store = !inResults && (storeMaps == "all" || (storeMaps == "primary" && method == primary));
            (double Deletion, double Insertion)? faithful = target == "pred" && step.Faithfulness.TryGetValue((i, method), out var auc) ? auc : null;
            explanations.Add(new ExplanationRow(source.SampleId, source.Row, method, target, cls, classes[cls], ch, cw,
                store ? Cam(c) : [], Values(r.Metrics(c)), faithful?.Deletion, faithful?.Insertion));
        }
        return null;
    }

    /// <summary>Metric scalars to result values: NaN is null, boolean metrics become bool.</summary>
    public object?[] Values(ReadOnlySpan<double> raw)
    {
        var values = new object?[metrics.Count];
        for (int m = 0; m < metrics.Count; m++)
        {
            values[m] = double.IsNaN(raw[m]) ? null : metrics[m].Info.IsBoolean ? raw[m] > 0.5 : raw[m];
        }
        return values;
    }

    private static bool AnyPositive(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (v > 0)
            {
                return true;
            }
        }
        return false;
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
