using GradCamAudit.Findings;
using Xunit;

namespace GradCamAudit.Tests.Findings;

/// <summary>The findings' pure rules on hand-made rows: class statistics computed by hand, every kind and every reason.</summary>
public sealed class FindingRulesTests
{
    private static readonly FindingsSettings Settings = FindingsSettings.Default; // threshold 1.25, min map 4, 3 MADs

    private static FindingInput Row(string id, int given, int pred, float conf, float givenProb, double? lift = 5.0, bool? off = false, int side = 8) =>
        new(id, 0, given, pred, conf, givenProb, lift, off, side, side);

    [Fact]
    public void Thresholds_AreTheMeanAndTheHampelCutOfTheOnObjectRows_ByHand()
    {
        // Class 0 on-object given-label probabilities: e^-1, e^-2, e^-3 (mean by hand; logs -1,-2,-3: median -2, MAD 1).
        FindingInput[] rows =
        [
            Row("a", 0, 0, (float)Math.Exp(-1), (float)Math.Exp(-1)), Row("b", 0, 0, (float)Math.Exp(-2), (float)Math.Exp(-2)),
            Row("c", 0, 1, 0.9f, (float)Math.Exp(-3)),
            Row("off", 0, 1, 0.9f, 1e-9f, lift: 0.1, off: true), // off-object: left out of the statistics
            Row("nomask", 0, 0, 0.5f, 0.5f, lift: null, off: null),
        ];
        ClassThresholds stats = ClassThresholds.From(rows, 2, 3.0);
        double mean = (Math.Exp(-1) + Math.Exp(-2) + Math.Exp(-3)) / 3;
        Assert.Equal(mean, stats.Threshold(0)!.Value, 6);
        Assert.Equal(Math.Exp(-2 - (3 * 1.4826 * 1)), stats.OutlierCut(0)!.Value, 6);
        Assert.Equal(3, stats.Support(0));
        Assert.Null(stats.Threshold(1)); // nothing labelled 1
        Assert.Equal(0, stats.Support(1));
    }

    [Fact]
    public void Decide_EveryKindAndReason()
    {
        // Class 0: ten on-object rows with p = 0.9 and 0.8 alternating (t = 0.85, median log ~ -0.16, small MAD); class 1 likewise.
        var rows = new List<FindingInput>();
        for (int i = 0; i < 10; i++)
        {
            rows.Add(Row($"c0-{i}", 0, 0, i % 2 == 0 ? 0.9f : 0.8f, i % 2 == 0 ? 0.9f : 0.8f));
            rows.Add(Row($"c1-{i}", 1, 1, i % 2 == 0 ? 0.9f : 0.8f, i % 2 == 0 ? 0.9f : 0.8f));
        }
        FindingInput labelError = Row("le", 0, 1, 0.95f, 0.001f);
        FindingInput unconfident = Row("unconf", 0, 1, 0.6f, 0.001f);
        FindingInput typical = Row("typical", 0, 1, 0.95f, 0.7f, lift: 5);
        FindingInput shortcut = Row("short", 0, 1, 0.95f, 0.001f, lift: 0.25, off: true);
        FindingInput clever = Row("clever", 1, 1, 0.9f, 0.9f, lift: 1.0, off: true);
        FindingInput noMask = Row("nomask", 0, 1, 0.95f, 0.001f, lift: null, off: null);
        FindingInput coarse = Row("coarse", 0, 1, 0.95f, 0.001f, side: 2);
        FindingInput zeroMap = Row("zero", 0, 1, 0.95f, 0.001f, lift: null, off: true);
        ClassThresholds stats = ClassThresholds.From(rows, 2, 3.0);
        // By hand: t_0 = 0.85; logs ln 0.8 and ln 0.9 five times each: median -0.1643, MAD 0.0589 (scaled 0.0873), cut e^(-0.1643 - 0.2620) = 0.6530.
        Assert.Equal(0.85, stats.Threshold(0)!.Value, 6);
        Assert.Equal(0.6530, stats.OutlierCut(0)!.Value, 3);

        Finding le = FindingRules.Decide(labelError, stats, Settings);
        Assert.Equal(FindingKinds.LabelError, le.Kind);
        Assert.Equal(0.95 - 0.001, le.Score!.Value, 6); // the normalised margin
        Assert.Equal((FindingKinds.Hard, FindingRules.PredictionBelowThreshold), Kind(FindingRules.Decide(unconfident, stats, Settings)));
        // 0.7 is below t_0 but above the outlier cut: not a label error.
        Assert.Equal((FindingKinds.Hard, FindingRules.GivenLabelNotOutlying), Kind(FindingRules.Decide(typical, stats, Settings)));
        Finding s = FindingRules.Decide(shortcut, stats, Settings);
        Assert.Equal((FindingKinds.Shortcut, FindingRules.MisclassifiedOffObject), Kind(s));
        Assert.Equal(1 - (0.25 / 1.25), s.Score!.Value, 9);
        Finding c = FindingRules.Decide(clever, stats, Settings);
        Assert.Equal((FindingKinds.RightForWrongReason, FindingRules.CorrectOffObject), Kind(c));
        Assert.Equal(0.2, c.Score!.Value, 9);
        Assert.Equal((FindingKinds.Ok, FindingRules.CorrectOnObject), Kind(FindingRules.Decide(rows[0], stats, Settings)));
        Assert.Equal(((string?)null, FindingKinds.NoMask), Kind(FindingRules.Decide(noMask, stats, Settings)));
        Assert.Equal(((string?)null, FindingKinds.MapTooCoarse), Kind(FindingRules.Decide(coarse, stats, Settings)));
        Assert.Equal(FindingKinds.LabelError, FindingRules.Decide(coarse, stats, Settings with { AcceptCoarseMaps = true }).Kind);
        Assert.Equal((FindingKinds.Shortcut, 1.0), (FindingRules.Decide(zeroMap, stats, Settings).Kind, FindingRules.Decide(zeroMap, stats, Settings).Score!.Value));

        // Intervened on: the label error whose object alone keeps the prediction stays a (supported) label error; the
        // one whose background alone gives the prediction and object alone the given label is a shortcut the map missed.
        Finding supported = FindingRules.Decide(labelError with { ObjectOnlyPred = 1, BackgroundOnlyPred = 0 }, stats, Settings);
        Assert.Equal((FindingKinds.LabelError, InterventionEvidence.Supported), (supported.Kind, supported.Evidence));
        Finding missed = FindingRules.Decide(labelError with { ObjectOnlyPred = 0, BackgroundOnlyPred = 1 }, stats, Settings);
        Assert.Equal((FindingKinds.Shortcut, FindingRules.InterventionContradictsMap, InterventionEvidence.Confirmed), (missed.Kind, missed.Reason, missed.Evidence));
        Assert.Equal(0, missed.Score!.Value, 9); // on the object by its lift: ranked after the off-object shortcuts
        // The object alone giving the label but the background another class: a label error while that object-alone
        // probability is below t_0 = 0.85 (or unknown), a confirmed shortcut once it reaches the class's threshold.
        Assert.Equal(FindingKinds.LabelError, FindingRules.Decide(labelError with { ObjectOnlyPred = 0, BackgroundOnlyPred = 0 }, stats, Settings).Kind);
        Assert.Equal(FindingKinds.LabelError, FindingRules.Decide(labelError with { ObjectOnlyPred = 0, BackgroundOnlyPred = 0, ObjectOnlyProb = 0.84f }, stats, Settings).Kind);
        Finding objectSaysLabel = FindingRules.Decide(labelError with { ObjectOnlyPred = 0, BackgroundOnlyPred = 0, ObjectOnlyProb = 0.86f }, stats, Settings);
        Assert.Equal((FindingKinds.Shortcut, FindingRules.InterventionObjectGivesLabel, InterventionEvidence.Confirmed), (objectSaysLabel.Kind, objectSaysLabel.Reason, objectSaysLabel.Evidence));
        // The object alone confidently another class than the given label is no evidence for it: still a label error.
        Assert.Equal(FindingKinds.LabelError, FindingRules.Decide(labelError with { ObjectOnlyPred = 1, BackgroundOnlyPred = 0, ObjectOnlyProb = 0.99f }, stats, Settings).Kind);
        // A hard case whose object alone is confidently the given label is a shortcut as well.
        Assert.Equal((FindingKinds.Shortcut, FindingRules.InterventionObjectGivesLabel), Kind(FindingRules.Decide(unconfident with { ObjectOnlyPred = 0, BackgroundOnlyPred = 0, ObjectOnlyProb = 0.9f }, stats, Settings)));
        Assert.Equal((FindingKinds.Hard, FindingRules.GivenLabelNotOutlying), Kind(FindingRules.Decide(typical with { ObjectOnlyPred = 1, BackgroundOnlyPred = 0 }, stats, Settings)));
        Assert.Equal((FindingKinds.Shortcut, FindingRules.InterventionContradictsMap), Kind(FindingRules.Decide(typical with { ObjectOnlyPred = 0, BackgroundOnlyPred = 1 }, stats, Settings)));
    }

    [Fact]
    public void Decide_GivenLabelTypicalOfItsClass_IsHard_NotLabelError()
    {
        // A class the model has not learned: every sample labelled 1 gets p around 0.05 and is predicted 0. Those are
        // typical of their class, so none is an outlier: hard cases, while a p of 1e-6 stands out.
        var rows = new List<FindingInput>();
        for (int i = 0; i < 20; i++)
        {
            rows.Add(Row($"c0-{i}", 0, 0, 0.95f, 0.95f));
            rows.Add(Row($"c1-{i}", 1, 0, 0.95f, 0.03f + (0.002f * i)));
        }
        rows.Add(Row("flip", 1, 0, 0.97f, 1e-6f));
        var findings = FindingRules.DecideAll(rows, 2, Settings).ToDictionary(f => f.SampleId);
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(FindingKinds.Hard, findings[$"c1-{i}"].Kind));
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(FindingRules.GivenLabelNotOutlying, findings[$"c1-{i}"].Reason));
        Assert.Equal(FindingKinds.LabelError, findings["flip"].Kind);
    }

    [Fact]
    public void Statistics_DoNotDependOnRowOrder_BitForBit()
    {
        var rnd = new Random(5);
        var rows = Enumerable.Range(0, 2000).Select(i => Row($"r{i}", i % 3, rnd.Next(3), (float)rnd.NextDouble(), (float)Math.Pow(rnd.NextDouble(), 4))).ToList();
        var shuffled = rows.OrderBy(_ => rnd.Next()).ToList();
        ClassThresholds a = ClassThresholds.From(rows, 3, 3.0), b = ClassThresholds.From(shuffled, 3, 3.0);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Threshold(j)!.Value), BitConverter.DoubleToInt64Bits(b.Threshold(j)!.Value));
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.OutlierCut(j)!.Value), BitConverter.DoubleToInt64Bits(b.OutlierCut(j)!.Value));
        }
        var fa = FindingRules.DecideAll(rows, 3, Settings).OrderBy(f => f.SampleId, StringComparer.Ordinal);
        var fb = FindingRules.DecideAll(shuffled, 3, Settings).OrderBy(f => f.SampleId, StringComparer.Ordinal);
        Assert.Equal(fa, fb);
    }

    private static (string? Kind, string? Reason) Kind(Finding f) => (f.Kind, f.Reason);
}
