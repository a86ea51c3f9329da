using System.Globalization;
using GradCamAudit.Results;

namespace GradCamAudit.Findings;

/// <summary>Counts findings as rows stream by and keeps the top cards of each kind (bounded, ties by sample id).</summary>
internal sealed class FindingsTally(IReadOnlyList<string> classes, int perKind)
{
    private static readonly Dictionary<string, (string Title, string Meaning)> Titles = new(StringComparer.Ordinal)
    {
        [FindingKinds.LabelError] = ("Label errors", "Misclassified, the prediction confident by its class's threshold, the given label's probability an outlier below its class's, and the map on the object: relabel, or confirm the label"),
        [FindingKinds.Shortcut] = ("Shortcuts", "Misclassified with the predicted-class map off the object, or (intervened on) with the background alone giving the prediction and the object alone the given label: the model used something other than the object"),
        [FindingKinds.RightForWrongReason] = ("Right for the wrong reason", "Correct with the predicted-class map off the object"),
        [FindingKinds.Hard] = ("Hard cases", "Misclassified with the map on the object, and not a label error by the rule (ambiguous, or a class the model has not learned)"),
        [FindingKinds.Ok] = ("Ok", "Correct with the map on the object"),
    };

    private readonly Dictionary<string, int> counts = FindingKinds.All.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
    private readonly Dictionary<string, int> noVerdict = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<FindingCard>> top = FindingKinds.All.ToDictionary(k => k, _ => new List<FindingCard>(), StringComparer.Ordinal);
    private readonly int[,] perClass = new int[Math.Max(1, classes.Count), 11]; // given: labelError, shortcut(pred), rfwr, hard, ok, samples; suggested: labelError(pred); controls, object-only correct, background-only hit; confirmed shortcuts (pred)
    private readonly Dictionary<string, (int Intervened, int Confirmed)> evidence = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> lines = new(StringComparer.Ordinal);
    private int rows;
    private int coarseSide = int.MaxValue;

    /// <summary>Samples whose evidence line is kept whatever their rank (the report's gallery cards).</summary>
    public IReadOnlySet<string>? Describe { get; init; }

    public void Add(ReportRow r, RowOrigin origin, Finding f, double offThreshold)
    {
        rows++;
        if (Describe?.Contains(r.SampleId) == true)
        {
            lines[r.SampleId] = FindingEvidence.Describe(r, f, offThreshold, classes);
        }
        bool given = r.TrueLabel >= 0 && r.TrueLabel < classes.Count, pred = r.PredLabel >= 0 && r.PredLabel < classes.Count;
        if (given)
        {
            perClass[r.TrueLabel, 5]++;
            if (r.Intervention == Results.InterventionResult.Control && r.Intervened)
            {
                perClass[r.TrueLabel, 7]++;
                perClass[r.TrueLabel, 8] += r.ObjectOnlyPred == r.TrueLabel ? 1 : 0;
                perClass[r.TrueLabel, 9] += r.BackgroundOnlyPred == r.TrueLabel ? 1 : 0;
            }
        }
        if (f.Kind is string k && f.Evidence is string e)
        {
            (int n, int yes) = evidence.GetValueOrDefault(k);
            bool positive = e is InterventionEvidence.Confirmed or InterventionEvidence.Supported;
            evidence[k] = (n + 1, yes + (positive ? 1 : 0));
            if (k == FindingKinds.Shortcut && positive && pred)
            {
                perClass[r.PredLabel, 10]++;
            }
        }
        if (f.Kind is not string kind)
        {
            noVerdict[f.Reason ?? "unknown"] = noVerdict.GetValueOrDefault(f.Reason ?? "unknown") + 1;
            if (f.Reason == FindingKinds.MapTooCoarse)
            {
                coarseSide = Math.Min(coarseSide, Math.Min(r.CamHeight, r.CamWidth));
            }
            return;
        }
        counts[kind]++;
        switch (kind)
        {
            case FindingKinds.LabelError:
                if (given)
                {
                    perClass[r.TrueLabel, 0]++;
                }
                if (pred)
                {
                    perClass[r.PredLabel, 6]++;
                }
                break;
            case FindingKinds.Shortcut when pred:
                perClass[r.PredLabel, 1]++;
                break;
            case FindingKinds.RightForWrongReason when given:
                perClass[r.TrueLabel, 2]++;
                break;
            case FindingKinds.Hard when given:
                perClass[r.TrueLabel, 3]++;
                break;
            case FindingKinds.Ok when given:
                perClass[r.TrueLabel, 4]++;
                break;
        }
        if (kind == FindingKinds.Ok)
        {
            return; // ranked cards of the kinds to act on only
        }
        List<FindingCard> list = top[kind];
        list.Add(new FindingCard(r.SampleId, r.Row, r.Image, r.TrueName, r.PredName, f.Score, FindingEvidence.Describe(r, f, offThreshold, classes), f.Evidence)
        {
            Source = r,
            Origin = origin,
        });
        if (list.Count > 4 * perKind)
        {
            Trim(list);
        }
    }

    private void Trim(List<FindingCard> list)
    {
        list.Sort(Rank);
        if (list.Count > perKind)
        {
            list.RemoveRange(perKind, list.Count - perKind);
        }
    }

    private static int Rank(FindingCard a, FindingCard b) =>
        (b.Score ?? double.NegativeInfinity).CompareTo(a.Score ?? double.NegativeInfinity) is int c && c != 0 ? c : string.CompareOrdinal(a.SampleId, b.SampleId);

    public FindingsReport Report(ClassThresholds stats, FindingsSettings settings, RunManifest run)
    {
        var sections = new List<FindingSection>();
        foreach (string kind in FindingKinds.All.Where(k => k != FindingKinds.Ok))
        {
            Trim(top[kind]);
            (int intervened, int confirmed) = evidence.GetValueOrDefault(kind);
            sections.Add(new FindingSection(kind, Titles[kind].Title, Titles[kind].Meaning, counts[kind], top[kind].ToList(), intervened, confirmed));
        }
        var classRows = classes.Select((name, k) => new FindingClassRow(name, perClass[k, 5], stats.Threshold(k), stats.OutlierCut(k), stats.Support(k),
            perClass[k, 0], perClass[k, 6], perClass[k, 1], perClass[k, 2], perClass[k, 3], perClass[k, 4],
            perClass[k, 7], Share(perClass[k, 8], perClass[k, 7]), Share(perClass[k, 9], perClass[k, 7]), perClass[k, 10])).ToList();
        var cautions = new List<string>();
        if (noVerdict.GetValueOrDefault(FindingKinds.MapTooCoarse) is int coarse and > 0)
        {
            cautions.Add(string.Create(CultureInfo.InvariantCulture,
                $"No verdict for {coarse} of {rows} samples: the target layer's map ({coarseSide}x{coarseSide} or coarser) is below findings.minMapSize ({settings.MinMapSize}); every lift of so coarse a map is close to 1. Pick a shallower model.targetLayer, or set findings.acceptCoarseMaps to publish verdicts from it anyway."));
        }
        else if (settings.AcceptCoarseMaps && run.CamHeight > 0 && Math.Min(run.CamHeight, run.CamWidth) < settings.MinMapSize)
        {
            cautions.Add(string.Create(CultureInfo.InvariantCulture,
                $"Verdicts from {run.CamHeight}x{run.CamWidth} maps, coarser than findings.minMapSize ({settings.MinMapSize}), published because findings.acceptCoarseMaps is set: on-object and off-object are unreliable at this size."));
        }
        if (string.Equals(run.Config.Dataset.SourceSettings.Split, "train", StringComparison.OrdinalIgnoreCase))
        {
            cautions.Add("The config says this is the model's training split (dataset.split = train): probabilities on training samples tend to 0 and 1 and label errors are under-reported. Audit held-out data.");
        }
        return new FindingsReport(rows, new Dictionary<string, int>(counts, StringComparer.Ordinal), new Dictionary<string, int>(noVerdict, StringComparer.Ordinal),
            sections, classRows, cautions, Verdict(classRows), settings.MinMapSize, settings.AcceptCoarseMaps, settings.OutlierMads)
        {
            EvidenceLines = new Dictionary<string, string>(lines, StringComparer.Ordinal),
        };
    }

    private static double? Share(int part, int whole) => whole == 0 ? null : (double)part / whole;

    private string Verdict(IReadOnlyList<FindingClassRow> rows)
    {
        bool tested = evidence.GetValueOrDefault(FindingKinds.Shortcut).Intervened > 0;
        var parts = rows.Where(c => c.LabelErrorsGiven + c.ShortcutsPredicted > 0)
            .OrderByDescending(c => c.LabelErrorsGiven + c.ShortcutsPredicted).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => string.Create(CultureInfo.InvariantCulture,
                $"'{c.Name}': {c.LabelErrorsGiven} label error(s) given this label, {c.ShortcutsPredicted} shortcut(s) predicted as it{(tested && c.ShortcutsPredicted > 0 ? $" ({c.ShortcutsConfirmed} confirmed by intervention)" : "")}"))
            .ToList();
        if (parts.Count > 0)
        {
            return string.Join("; ", parts) + ".";
        }
        int judged = counts.Values.Sum();
        return judged == 0
            ? "No sample could be judged (see the reasons above): no label error or shortcut can be claimed, nor ruled out."
            : $"No label errors and no shortcuts were found among the {judged} samples judged.";
    }
}
