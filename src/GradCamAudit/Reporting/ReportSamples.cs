namespace GradCamAudit.Reporting;

/// <summary>A small report with every part filled in: what a template is rendered against when a run starts.</summary>
public static class ReportSamples
{
    public static ReportModel Synthetic()
    {
        string[] names = ["a", "b"];
        var extra = new List<KeyValue> { new("source", "x") };
        GalleryItem Card(string id, long row) => new(id, row, id + ".png", "a", "b", "90.0%", "5.0%", "0.50", "10.0%", "2.00", "40.0%", "miss", "20.0%", "", "", "", extra,
            "flagged", "0.5", row == 1 ? "acknowledged: known watermark" : "", [new KeyValue("gradcam", ""), new KeyValue("layercam", "")]);
        return new ReportModel(
            new RunHeader("run", "check", "0.0.0", "2026-01-01 00:00:00 UTC", "cpu", "demo-cnn", "features.9 (autograd)", "16x16", "64x64", "0123456789ab", "0123456789ab",
                "manifest.csv", "1.0 s", "1 rows/s", 1.0),
            new Headline(3, 1, 2, "50.0%", 1, 1, 2, "2.00", "0.50", 0, "verdict"),
            names.Select(n => new ClassSummary(n, 1, "50.0%", "1.00", "1.00", "1.00", "50.0%", "50.0%", 1, 1, true)).ToList(),
            new ConfusionMatrix(names, names.Select((n, t) => new ConfusionRow(n, names.Select((_, p) => new ConfusionCell(1, 0.5, p == t, n, names[p])).ToList())).ToList()),
            [Card("s1", 1)], 1, [Card("s2", 2)], 1,
            [new ErrorSummary("image_missing", 1)],
            ["note"],
            "<svg></svg>",
            [new KeyValue("a", "<svg></svg>")],
            [Card("s3", 3)], 1,
            [new GateRow("fail", "maxFlaggedRateRise", "overall", "9.0", "5.0 to 13.0", "baseline 1.0% + 5.0 pp", true, "major", "1 flagged samples", "", "", "flagged"),
             new GateRow("pass", "minOnObjectRate", "class a", "90.0", "80.0 to 95.0", "fixed >= 70.0%", false, "", "1 off-object samples", "class-0", "a", "off-object"),
             new GateRow("pass", "maxErrorRate", "overall", "1.0", "0.1 to 3.0", "fixed <= 5.0%", false, "", "1 rows in errors.csv", "", "", "", "#errors")],
            new BaselineView("base", "weights", [new BaselineFigure("accuracy", "50.0%", "40.0%", "-10.0 pp")], 1, 0),
            [new MethodRow("gradcam", "2.00", "10.0%", "80.0%", "(primary)", ["2.00", "1.50"])],
            "<svg></svg>", 2,
            [new GateRow("not_evaluated", "minOnObjectRate", "class b", "-", "3 samples, below gates.minClassSamples", "fixed >= 70.0%", false)],
            [new AcknowledgedRow("s1", "flagged", "a", "b", "0.50", "known watermark", "2026-12-31", "acknowledged: not counted", true)], 1,
            [new MeanMapRow("a", 1, "", 1, "", 1, "")], "note",
            new SampledChecksModel([new FaithfulnessRow("gradcam", 1, "0.100", "0.800")], [new FaithfulnessClassRow("a", 1, "0.100", "0.800")],
                ["1: fc"], [new SanityRow("eigencam", ["1.000"], "barely changes")], ["eigencam: its maps barely change"], 1),
            "<svg></svg>");
    }
}
