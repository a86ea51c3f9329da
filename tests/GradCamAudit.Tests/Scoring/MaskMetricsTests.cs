using GradCamAudit.Scoring;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Scoring;

[Collection(TorchCollection.Name)]
public sealed class MaskMetricsTests
{
    private static readonly float[] Cam = TinyMaps.Cam;

    private static Tensor Batch(params float[][] maps) => tensor(maps.SelectMany(m => m).ToArray(), [maps.Length, 4, 4]);

    private static float[] Mask(params (int Y, int X)[] pixels) => TinyMaps.Plane(pixels);

    [Fact]
    public void Score_HandComputedSamples()
    {
        using var scope = NewDisposeScope();
        Tensor cams = Batch(Cam, Cam, Cam, new float[16]);
        Tensor masks = Batch(Mask((1, 1), (1, 2)), Mask((3, 0)), new float[16], Mask((0, 0)));
        MetricTensors m = MaskMetrics.Score(cams, masks, new MetricSettings(0, 0.15));

        // Sample 0: mass 10, inside 4+2 = 6 -> 0.6; mask covers 2/16 -> lift 0.6/0.125 = 4.8; peak (1,1) in mask;
        // top ceil(0.15*16)=3 pixels {4,2,2} meet the mask in 2 -> IoU 2/(3+2-2) = 2/3.
        float[] energy = m.EnergyInMask.data<float>().ToArray();
        float[] lift = m.EnergyLift.data<float>().ToArray();
        float[] iou = m.IouTop.data<float>().ToArray();
        bool[] hit = m.PointingHit.data<bool>().ToArray();
        bool[] valid = m.Valid.data<bool>().ToArray();
        bool[] zero = m.CamIsZero.data<bool>().ToArray();
        Assert.Equal(0.6f, energy[0], 5);
        Assert.Equal(4.8f, lift[0], 4);
        Assert.True(hit[0]);
        Assert.Equal(2f / 3f, iou[0], 5);

        // Sample 1: the mask is one pixel with no map mass -> energy 0, lift 0, peak misses, IoU 0.
        Assert.Equal(0f, energy[1]);
        Assert.Equal(0f, lift[1]);
        Assert.False(hit[1]);
        Assert.Equal(0f, iou[1]);

        // Sample 2: empty mask -> undefined (null downstream). Sample 3: all-zero map -> undefined and flagged as zero.
        Assert.Equal(new[] { true, true, false, false }, valid);
        Assert.Equal(new[] { false, false, false, true }, zero);
        Assert.False(hit[3]);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(2.0, false)]
    [InlineData(2.3, true)]
    public void PointingHit_UsesEuclideanTolerance(double tolerance, bool expected)
    {
        // Peak at (1,1); the mask pixel (3,0) is sqrt(2^2 + 1^2) = 2.236 px away.
        using var scope = NewDisposeScope();
        MetricTensors m = MaskMetrics.Score(Batch(Cam), Batch(Mask((3, 0))), new MetricSettings(tolerance, 0.15));
        Assert.Equal(expected, m.PointingHit.data<bool>()[0]);
    }

    [Fact]
    public void TopOverlap_BreaksTiesByLowestIndex_Deterministically()
    {
        // k = 3 of [1, 2, 5 / 2, 2, 0] (2x3): the 5, then the first two of the three tied 2s (indices 1 and 3).
        using var scope = NewDisposeScope();
        Tensor maps = tensor(new float[] { 1, 2, 5, 2, 2, 0, 7, 7, 7, 7, 7, 7 }, [2, 2, 3]);
        Tensor ties = tensor(new float[] { 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1 }, [2, 2, 3]); // the 2 at index 4 is not taken
        Assert.Equal([1.0, 0.0], MaskMetrics.TopOverlap(maps, ties, 3).data<double>().ToArray());
        Tensor first = tensor(new float[] { 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0 }, [2, 2, 3]);
        Assert.Equal([2.0, 3.0], MaskMetrics.TopOverlap(maps, first, 3).data<double>().ToArray());

        // A constant 4x4 map with q = 0.25: iou_top takes the first row, so a first-row mask scores exactly 1.
        MetricTensors m = MaskMetrics.Score(Batch(Enumerable.Repeat(3f, 16).ToArray()), Batch(Mask((0, 0), (0, 1), (0, 2), (0, 3))), new MetricSettings(1, 0.25));
        Assert.Equal(1f, m.IouTop.data<float>()[0], 6);
    }

    [Fact]
    public void TopRegionKernel_RefusesNegativeAndNaNMaps_AndTheTensorPathTakesOver()
    {
        float[] map = [3, -1, 2, 5];
        byte[] mask = [1, 0, 1, 0];
        Assert.Null(TopRegionKernel.Overlap(map, mask, 2));
        Assert.Null(TopRegionKernel.Overlap([3, float.NaN, 2, 5], mask, 2));
        Assert.Equal(1, TopRegionKernel.Overlap([3, 0, 2, 5], mask, 2)); // {5, 3}: one in the mask
        using var scope = NewDisposeScope();
        // Through the tensor entry point a refused map still gets its count (the tensor path): {5, 3} -> 1.
        Assert.Equal(1.0, MaskMetrics.TopOverlap(tensor(map, [1, 2, 2]), tensor(mask, [1, 2, 2]), 2).data<double>()[0]);
        Assert.Equal(1.0, MaskMetrics.TopOverlap(tensor(map, [1, 2, 2]), tensor(new float[] { 1, 0, 1, 0 }, [1, 2, 2]), 2).data<double>()[0]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(960)]
    [InlineData(3000)]
    [InlineData(6400)]
    public void TopRegionKernel_OnAuditSizedMaps_EqualsSorting(int k)
    {
        // 64x100 maps: upsampled smooth maps (the audit's kind, with clamped border plateaus), quantised ones (ties
        // everywhere), sparse ones (a zero plateau) and a constant one.
        using var scope = NewDisposeScope();
        manual_seed(17);
        Tensor smooth = GradCamAudit.Explain.GradCam.Upsample(nn.functional.relu(randn(4, 7, 7)), 64, 100);
        Tensor maps = cat([smooth, rand(2, 64, 100).mul(5).floor(), rand(2, 64, 100).gt(0.95).to_type(ScalarType.Float32), full(1, 64, 100, 2f)], 0);
        byte[] masks = rand(9, 64, 100).gt(0.5).to_type(ScalarType.Byte).data<byte>().ToArray();
        float[] m = maps.contiguous().data<float>().ToArray();
        const int n = 6400;
        for (int i = 0; i < 9; i++)
        {
            float[] map = m[(i * n)..((i + 1) * n)];
            byte[] mask = masks[(i * n)..((i + 1) * n)];
            Assert.Equal((long)BruteTopOverlap(map, mask.Select(v => (float)v).ToArray(), k), TopRegionKernel.Overlap(map, mask, k));
        }
    }

    /// <summary>Reference: order the pixels by value (descending) then index (ascending), take k, count those in the mask.</summary>
    private static double BruteTopOverlap(float[] map, float[] mask, int k) =>
        map.Select((v, i) => (v, i)).OrderByDescending(p => p.v).ThenBy(p => p.i).Take(k).Count(p => mask[p.i] > 0);

    [Theory]
    [InlineData(1, true)]
    [InlineData(7, true)]
    [InlineData(100, true)]
    [InlineData(311, true)]
    [InlineData(600, true)]
    [InlineData(1, false)]
    [InlineData(7, false)]
    [InlineData(100, false)]
    [InlineData(311, false)]
    [InlineData(600, false)]
    public void TopOverlap_EqualsSortingByValueThenIndex(int k, bool hostKernel)
    {
        // Quantised maps (many ties at every level, ties spanning rows), sparse maps (a plateau of zeros, some −0),
        // smooth ones, and values that share their top bits (the radix selection's later levels decide).
        using var scope = NewDisposeScope();
        manual_seed(11);
        Tensor sparse = rand(6, 20, 30).gt(0.9).to_type(ScalarType.Float32);
        sparse[0, 0..10, ..] = full(1, -0.0f);
        Tensor maps = cat([rand(6, 20, 30).mul(5).floor(), sparse, rand(4, 20, 30), rand(2, 20, 30).mul(1e-6f).add(1000f)], 0);
        Tensor masks = rand(18, 20, 30).gt(0.6).to_type(ScalarType.Float32);
        double[] actual = MaskMetrics.TopOverlap(maps, masks, k, hostKernel).data<double>().ToArray();
        float[] m = maps.data<float>().ToArray(), mk = masks.data<float>().ToArray();
        for (int i = 0; i < 18; i++)
        {
            Assert.Equal(BruteTopOverlap(m[(i * 600)..((i + 1) * 600)], mk[(i * 600)..((i + 1) * 600)], k), actual[i]);
        }
        // The host kernel itself (not a fallback) gives each count.
        for (int i = 0; i < 18; i++)
        {
            Assert.Equal((long)BruteTopOverlap(m[(i * 600)..((i + 1) * 600)], mk[(i * 600)..((i + 1) * 600)], k), TopRegionKernel.Overlap(m.AsSpan(i * 600, 600), mk[(i * 600)..((i + 1) * 600)].Select(v => v > 0 ? (byte)1 : (byte)0).ToArray(), k));
        }
        // Per-map k (the void path): the same rule.
        int[] ks = Enumerable.Range(0, 18).Select(i => 1 + ((i * 37 + k) % 600)).ToArray();
        double[] perMap = MaskMetrics.TopOverlap(maps, masks, tensor(ks.Select(v => (long)v).ToArray())).data<double>().ToArray();
        for (int i = 0; i < 18; i++)
        {
            Assert.Equal(BruteTopOverlap(m[(i * 600)..((i + 1) * 600)], mk[(i * 600)..((i + 1) * 600)], ks[i]), perMap[i]);
        }
    }

    [Fact]
    public void EnergyLift_UniformMap_IsOne_WhateverTheMaskSize()
    {
        using var scope = NewDisposeScope();
        Tensor cams = ones(2, 4, 4);
        Tensor masks = Batch(Mask((0, 0)), Mask((0, 0), (0, 1), (1, 0), (1, 1), (2, 2)));
        MetricTensors m = MaskMetrics.Score(cams, masks, new MetricSettings(0, 0.15));
        Assert.All(m.EnergyLift.data<float>().ToArray(), v => Assert.Equal(1f, v, 5));
        Assert.Equal(new[] { 1f / 16, 5f / 16 }, m.EnergyInMask.data<float>().ToArray());
    }

    [Fact]
    public void Near_IsADisk()
    {
        var big = new byte[49];
        big[(3 * 7) + 3] = 1;
        var v = new byte[49];
        MaskNeighbourhood.Near(big, 7, 7, 2.0, v);
        Assert.Equal(13, v.Count(b => b == 1)); // offsets with dx^2+dy^2 <= 4: 1 + 4 + 4 + 4
        Assert.Equal(0, v[(1 * 7) + 1]); // (−2,−2) is 2.83 away
        Assert.Equal(1, v[(1 * 7) + 3]);
    }

    /// <summary>Reference dilation: a dense disk convolution, the obvious (slow) implementation.</summary>
    private static Tensor BruteDilate(Tensor masks, double radius)
    {
        int r = (int)Math.Floor(radius);
        int size = (2 * r) + 1;
        var disk = new float[size * size];
        for (int dy = -r; dy <= r; dy++)
        {
            for (int dx = -r; dx <= r; dx++)
            {
                disk[((dy + r) * size) + dx + r] = (dx * dx) + (dy * dy) <= radius * radius ? 1f : 0f;
            }
        }
        Tensor k = tensor(disk, [1, 1, size, size]);
        return nn.functional.conv2d(masks.unsqueeze(1), k, padding: [r, r]).squeeze(1).gt(0.5);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(4.0)]
    [InlineData(5.0)]
    [InlineData(7.3)]
    [InlineData(40.0)]
    public void Near_EqualsDenseDiskConvolution(double radius)
    {
        // Scattered pixels, and blocks touching the borders (clipped intervals).
        using var scope = NewDisposeScope();
        manual_seed(3);
        Tensor masks = rand(3, 23, 31).gt(0.97).to_type(ScalarType.Float32);
        masks[1, 0..5, 25..31] = ones(1);
        masks[2, 18..23, 0..4] = ones(1);
        Tensor expected = radius < 1 ? masks.gt(0.5) : BruteDilate(masks, radius);
        Assert.True(MaskMetrics.Near(masks, radius).gt(0.5).eq(expected).all().item<bool>());
    }

    [Fact]
    public void PointingHit_EqualsBruteForce_ForSinglePeaksPlateausAndScatteredPeaks()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        // Upsampled random 5x5 maps have single peaks, 2x2 ties and border plateaus; quantised maps add scattered ties.
        Tensor smooth = GradCamAudit.Explain.GradCam.Upsample(rand(24, 5, 5), 40, 40);
        Tensor scattered = rand(24, 40, 40).mul(4).floor();
        Tensor maps = cat([smooth, scattered, zeros(2, 40, 40)], 0);
        Tensor masks = zeros(50, 40, 40);
        for (int i = 0; i < 50; i++)
        {
            int y = i % 30, x = (i * 7) % 30;
            masks[i, y..(y + 6), x..(x + 9)] = ones(1);
        }
        foreach (double radius in new[] { 0.0, 2.0, 6.5, 15.0 })
        {
            Tensor flat = maps.flatten(1);
            Tensor peak = flat.amax([1], keepdim: true);
            Tensor expected = flat.ge(peak).logical_and(peak.gt(0)).logical_and(BruteDilate(masks, Math.Max(radius, 0.1)).flatten(1)).any(1);
            Tensor actual = MaskMetrics.PointingHit(maps, masks, radius);
            Assert.True(actual.eq(expected).all().item<bool>(), $"radius {radius}: {string.Join(",", actual.data<bool>().ToArray())} vs {string.Join(",", expected.data<bool>().ToArray())}");
        }
    }
}
