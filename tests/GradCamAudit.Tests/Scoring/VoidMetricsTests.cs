using GradCamAudit.Scoring;
using GradCamAudit.Scoring.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Scoring;

/// <summary>
/// Void pixels are excluded from every metric (hand-computed on a 4x4 map), and an all-valid weight scores exactly as
/// no weight at all.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class VoidMetricsTests
{
    private static readonly float[] Cam = TinyMaps.Cam;

    private static float[] Plane(params (int Y, int X)[] pixels) => TinyMaps.Plane(pixels);

    private static double Metric(MaskMetric metric, MetricContext c) => metric.Evaluate(c).to_type(ScalarType.Float64).data<double>().ToArray()[0];

    [Fact]
    public void EveryMetric_OverTheValidPixelsOnly_HandComputed()
    {
        using var scope = NewDisposeScope();
        // Void: the peak (1,1) and the corner (0,0); mask: (1,2). 14 valid pixels: ten 0s, two 1s, two 2s.
        Tensor cams = tensor(Cam, [1, 4, 4]);
        Tensor masks = tensor(Plane((1, 2)), [1, 4, 4]);
        float[] validity = Plane();
        Array.Fill(validity, 1f);
        validity[0] = validity[5] = 0;
        Tensor valid = tensor(validity, [1, 4, 4]);
        var c = new MetricContext(cams, masks, cams, new MetricSettings(0, 0.15), valid);

        // mass over valid pixels 10 - 4 = 6, inside 2 -> 1/3; mask fraction 1/14 -> lift 14/3.
        Assert.Equal(1.0 / 3, Metric(new EnergyInMask(), c), 6);
        Assert.Equal(14.0 / 3, Metric(new EnergyLift(), c), 5);
        Assert.Equal(1.0 / 14, c.Fraction.to_type(ScalarType.Float64).data<double>()[0], 6);
        // Without the void peak the maxima are the two 2s, one of them the mask pixel: a hit at tolerance 0.
        Assert.Equal(1.0, Metric(new PointingGame(), c));
        // k = ceil(0.15 · 14) = 3: the two 2s and the first 1 in row-major order (2,2); IoU with {(1,2)} = 1/3.
        Assert.Equal(1.0 / 3, Metric(new IouTop(), c), 6);
        // top-3 in expectation: both 2s (one in the mask) plus one of two tied 1s (none in it): 1/3.
        Assert.Equal(1.0 / 3, Metric(new TopKIntersection(), c), 6);
        // K = 1: one of the two tied 2s, the mask's with probability 1/2.
        Assert.Equal(0.5, Metric(new RelevanceRankAccuracy(), c), 6);
        // The mask pixel (2) against 13 valid others: 12 lower, one tie -> (12 + 0.5) / 13.
        Assert.Equal(12.5 / 13, Metric(new RocAuc(), c), 6);
    }

    [Fact]
    public void WithoutVoid_ThePeakIsOffTheMask()
    {
        using var scope = NewDisposeScope();
        Tensor cams = tensor(Cam, [1, 4, 4]);
        var c = new MetricContext(cams, tensor(Plane((1, 2)), [1, 4, 4]), cams, new MetricSettings(0, 0.15));
        Assert.Equal(0.0, Metric(new PointingGame(), c));
        Assert.Equal(0.2, Metric(new EnergyInMask(), c), 6);
    }

    [Fact]
    public void AllValidWeight_ScoresExactlyAsNoWeight()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(3);
        Tensor cams = tensor(Enumerable.Range(0, 3 * 16).Select(_ => (float)rng.Next(0, 4)).ToArray(), [3, 4, 4]);
        Tensor masks = tensor(Enumerable.Range(0, 3 * 16).Select(i => i % 5 == 0 ? 1f : 0f).ToArray(), [3, 4, 4]);
        var settings = new MetricSettings(1, 0.3);
        var plain = new MetricContext(cams, masks, cams, settings);
        var weighted = new MetricContext(cams, masks, cams, settings, ones_like(cams));
        foreach (MaskMetric m in MetricCatalogue.All)
        {
            double[] a = m.Evaluate(plain).to_type(ScalarType.Float64).data<double>().ToArray();
            double[] b = m.Evaluate(weighted).to_type(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(a[i].Equals(b[i]) || Math.Abs(a[i] - b[i]) < 1e-12, $"{m.Info.Column}[{i}]: {a[i]} vs {b[i]}");
            }
        }
    }
}
