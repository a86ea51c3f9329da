using GradCamAudit.Scoring;
using GradCamAudit.Scoring.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Scoring;

/// <summary>Every metric of the catalogue on hand-computed maps, and the degenerate cases of the README's table.</summary>
[Collection(TorchCollection.Name)]
public sealed class MetricCatalogueTests
{
    private static readonly float[] Cam = TinyMaps.Cam;

    private static float[] Mask(params (int Y, int X)[] pixels) => TinyMaps.Plane(pixels);

    private static double[] Evaluate(MaskMetric metric, float[][] cams, float[][] masks, double q = 0.15)
    {
        using var scope = NewDisposeScope();
        Tensor c = tensor(cams.SelectMany(x => x).ToArray(), [cams.Length, 4, 4]);
        Tensor m = tensor(masks.SelectMany(x => x).ToArray(), [masks.Length, 4, 4]);
        return metric.Evaluate(new MetricContext(c, m, c, new MetricSettings(0, q))).data<double>().ToArray();
    }

    [Fact]
    public void RankAndTopKMetrics_HandComputed_TiesCountedInExpectation()
    {
        float[] mask = Mask((1, 1), (1, 2)); // the 4 and one of the two 2s
        // K = 2: the 4 counts fully; one place left for two tied 2s, one of them in the mask: 1 + 1/2 = 1.5 of 2.
        Assert.Equal(0.75, Evaluate(new RelevanceRankAccuracy(), [Cam], [mask])[0], 12);
        // k = ceil(0.15 * 16) = 3: the 4 and both 2s (no room problem): 2 of 3 in the mask.
        Assert.Equal(2.0 / 3.0, Evaluate(new TopKIntersection(), [Cam], [mask])[0], 12);
    }

    [Fact]
    public void Auc_IsMannWhitneyWithMidRanks()
    {
        // Pairs (mask pixel, other pixel): the 4 beats all 14 others; the masked 2 beats 13 and ties the other 2 (0.5).
        Assert.Equal(27.5 / 28.0, Evaluate(new RocAuc(), [Cam], [Mask((1, 1), (1, 2))])[0], 12);
        // A mask pixel at 0 loses to the 5 positive pixels and ties the 10 other zeros: 10 x 0.5 of 15 pairs.
        Assert.Equal(5.0 / 15.0, Evaluate(new RocAuc(), [Cam], [Mask((0, 0))])[0], 12);
    }

    [Fact]
    public void WslIou_LargestEightConnectedComponentBox_AgainstTheMaskBox()
    {
        // Cells >= 15% of 4: the 4, the 2s, the two 1s; (2,2) and (3,3) touch diagonally, so one component, box rows
        // and columns 1..3 (9 pixels), against the mask's box (1,1)-(1,2) (2 pixels): IoU 2/9.
        Assert.Equal(2.0 / 9.0, Evaluate(new WslIou(), [Cam], [Mask((1, 1), (1, 2))])[0], 12);

        bool[] grid =
        [
            true, true, false, false,
            true, false, false, true,
            false, false, false, true,
            false, false, false, false,
        ];
        Assert.Equal((0L, 1L, 0L, 1L), WslIou.LargestComponentBox(grid, 4, 4));
        Assert.Equal(1.0, WslIou.BoxIou((0, 1, 0, 1), (0, 1, 0, 1)));
        Assert.Equal(1.0 / 7.0, WslIou.BoxIou((0, 1, 0, 1), (1, 2, 1, 2)), 12);
    }

    [Fact]
    public void WslIou_ScalesTheBoxFromMapCellsToInputPixels()
    {
        using var scope = NewDisposeScope();
        Tensor raw = tensor(new float[] { 1, 0, 0, 0 }, [1, 2, 2]);
        Tensor up = tensor(new float[16], [1, 4, 4]) + 1; // only the raw map decides the box
        Tensor mask = tensor(Mask((0, 0), (0, 1), (1, 0), (1, 1)), [1, 4, 4]);
        double iou = new WslIou().Evaluate(new MetricContext(up, mask, raw, new MetricSettings(0, 0.15))).data<double>()[0];
        Assert.Equal(1.0, iou, 12); // cell (0,0) of a 2x2 map covers input pixels (0..1, 0..1)
    }

    /// <summary>The README's table of degenerate cases: empty mask, full mask, all-zero map, constant map.</summary>
    [Theory]
    [InlineData("energy_in_mask", double.NaN, 1.0, double.NaN, 0.125)]
    [InlineData("energy_lift", double.NaN, 1.0, double.NaN, 1.0)]
    [InlineData("pointing_hit", double.NaN, 1.0, double.NaN, 1.0)]
    [InlineData("iou_top", double.NaN, 3.0 / 16.0, double.NaN, 2.0 / 3.0)] // ties in row-major order: the first three pixels
    [InlineData("relevance_rank_accuracy", double.NaN, 1.0, double.NaN, 0.125)]
    [InlineData("topk_intersection", double.NaN, 1.0, double.NaN, 0.125)]
    [InlineData("auc", double.NaN, double.NaN, 0.5, 0.5)]
    [InlineData("wsl_iou", double.NaN, 9.0 / 16.0, double.NaN, 2.0 / 16.0)]
    public void DegenerateCases_GiveTheDefinedValue_OrNullNeverNaNDownstream(string column, double emptyMask, double fullMask, double zeroMap, double constantMap)
    {
        MaskMetric metric = MetricCatalogue.All.Single(m => m.Info.Column == column);
        float[] full = Enumerable.Repeat(1f, 16).ToArray();
        float[] constant = Enumerable.Repeat(3f, 16).ToArray();
        float[] twoPixels = Mask((0, 0), (0, 1)); // the first row's first two pixels: ties go there first
        double[] v = Evaluate(metric, [Cam, Cam, new float[16], constant], [new float[16], full, twoPixels, twoPixels]);
        void Check(double expected, double actual, string what)
        {
            if (double.IsNaN(expected))
            {
                Assert.True(double.IsNaN(actual), $"{column}, {what}: expected null, got {actual}");
            }
            else
            {
                Assert.True(Math.Abs(expected - actual) < 1e-6, $"{column}, {what}: expected {expected}, got {actual}");
            }
        }
        Check(emptyMask, v[0], "empty mask");
        Check(fullMask, v[1], "full mask");
        Check(zeroMap, v[2], "all-zero map");
        Check(constantMap, v[3], "constant map");
    }

    [Fact]
    public void Catalogue_ColumnsAreUnique_DefaultsAndRequiredAreInIt()
    {
        Assert.Equal(MetricCatalogue.Columns.Count, MetricCatalogue.Columns.Distinct().Count());
        Assert.All(MetricCatalogue.Defaults.Concat(MetricCatalogue.Required), c => Assert.Contains(c, MetricCatalogue.Columns));
        Assert.Equal(["energy_in_mask", "energy_lift", "auc"], MetricCatalogue.Select(["auc"]).Select(m => m.Info.Column));
    }
}
