using GradCamAudit.Findings.Strategies;
using Xunit;

namespace GradCamAudit.Tests.Findings;

/// <summary>The strategies' pure math on known answers: the eigen-solver, the grid, the clustering and the rule.</summary>
public sealed class StrategiesMathTests
{
    [Fact]
    public void Eigen_TwoByTwo_IsTheHandComputedOne()
    {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, -1) / sqrt 2 and (1, 1) / sqrt 2.
        (double[] values, double[] v) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(1.0, values[0], 12);
        Assert.Equal(3.0, values[1], 12);
        Assert.Equal(0.0, v[0] + v[2], 12); // first column is (a, -a)
        Assert.Equal(0.0, v[1] - v[3], 12); // second column is (b, b)
        Assert.Equal(Math.Sqrt(0.5), Math.Abs(v[0]), 12);
    }

    [Fact]
    public void Eigen_PathLaplacian_IsTheHandComputedOne()
    {
        // The 3x3 second-difference matrix: eigenvalues 2 - sqrt 2, 2, 2 + sqrt 2; the middle vector is (1, 0, -1) / sqrt 2.
        (double[] values, double[] v) = SymmetricEigen.Decompose([2, -1, 0, -1, 2, -1, 0, -1, 2], 3);
        Assert.Equal(2 - Math.Sqrt(2), values[0], 12);
        Assert.Equal(2.0, values[1], 12);
        Assert.Equal(2 + Math.Sqrt(2), values[2], 12);
        Assert.Equal(0.0, v[(1 * 3) + 1], 12);
        Assert.Equal(0.0, v[(0 * 3) + 1] + v[(2 * 3) + 1], 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(60)]
    public void Eigen_RandomSymmetric_VectorsAreOrthonormalAndSolveTheEquation(int n)
    {
        var rng = new Random(n);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                a[(i * n) + j] = a[(j * n) + i] = rng.NextDouble() - 0.5;
            }
        }
        if (n > 2)
        {
            a[0] = a[n + 1] = 0.25; // a repeated diagonal value
        }
        (double[] values, double[] v) = SymmetricEigen.Decompose(a, n);
        for (int c = 0; c < n; c++)
        {
            if (c > 0)
            {
                Assert.True(values[c] >= values[c - 1]);
            }
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int k = 0; k < n; k++)
                {
                    av += a[(i * n) + k] * v[(k * n) + c];
                }
                Assert.True(Math.Abs(av - (values[c] * v[(i * n) + c])) < 1e-10, $"residual at {i},{c}");
            }
            for (int d = 0; d < n; d++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++)
                {
                    dot += v[(i * n) + c] * v[(i * n) + d];
                }
                Assert.Equal(c == d ? 1.0 : 0.0, dot, 10);
            }
        }
    }

    [Fact]
    public void Grid_AreaAveragesAndNormalisesToUnitSum()
    {
        // 4x4 -> 2x2: each cell the mean of a 2x2 block; then unit sum.
        float[] map = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2];
        float[] g = MapGrid.Normalise(map, 4, 4, 2)!;
        Assert.Equal([1f / 3, 0, 0, 2f / 3], g);
        // 3x3 -> 2x2: cell (0, 0) covers [0, 1.5)^2: weights 1, 0.5, 0.5, 0.25 of the cells (0,0), (0,1), (1,0), (1,1).
        float[] three = [4, 0, 0, 0, 0, 0, 0, 0, 0];
        float[] h = MapGrid.Normalise(three, 3, 3, 2)!;
        Assert.Equal([1f, 0, 0, 0], h);
        // [[1, 2, 0], [4, 0, 0], [0, 0, 0]] -> 2x2, by hand: (0, 0) = 1*1 + 0.5*2 + 0.5*4 = 4, (0, 1) = 0.5*2 = 1,
        // (1, 0) = 0.5*4 = 2, (1, 1) = 0 (each over the cell's area 2.25, which the unit sum cancels): [4, 1, 2, 0] / 7.
        float[] uneven = MapGrid.Normalise([1, 2, 0, 4, 0, 0, 0, 0, 0], 3, 3, 2)!;
        Assert.Equal(new[] { 4.0 / 7, 1.0 / 7, 2.0 / 7, 0 }, uneven.Select(v => (double)v), new ToleranceComparer(1e-6));
        float[] centre = [0, 0, 0, 0, 9, 0, 0, 0, 0];
        Assert.Equal([0.25f, 0.25f, 0.25f, 0.25f], MapGrid.Normalise(centre, 3, 3, 2)!);
        Assert.Null(MapGrid.Normalise(new float[9], 3, 3, 2));
        Assert.Null(MapGrid.Normalise([1, 2], 3, 3, 2));
        Assert.Equal(("the bottom-right corner", 1.0), MapGrid.Describe(Blob(7, 7), 8));
    }

    /// <summary>A unit-sum 8x8 map with a 2x2 blob at (y, x) and a little seeded noise.</summary>
    private static float[] Blob(int y, int x, Random? noise = null)
    {
        var m = new float[64];
        for (int dy = 0; dy < 2; dy++)
        {
            for (int dx = 0; dx < 2; dx++)
            {
                if (y + dy < 8 && x + dx < 8)
                {
                    m[((y + dy) * 8) + x + dx] = 1;
                }
            }
        }
        for (int i = 0; i < 64 && noise != null; i++)
        {
            m[i] += (float)(noise.NextDouble() * 0.1);
        }
        float s = m.Sum();
        return m.Select(v => v / s).ToArray();
    }

    [Fact]
    public void Cluster_TwoObviousGroups_EigengapPicksTwo()
    {
        var rng = new Random(3);
        var points = Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? Blob(1, 1, rng) : Blob(5, 5, rng)).ToList();
        SpectralClustering.Result r = SpectralClustering.Cluster(points, 6);
        Assert.Equal(2, r.Clusters);
        Assert.All(Enumerable.Range(0, 60), i => Assert.Equal(r.Labels[i % 2], r.Labels[i]));
        Assert.NotEqual(r.Labels[0], r.Labels[1]);
        StrategyModel m = StrategyModel.From(points, 6);
        Assert.Equal(2, m.Centroids.Count);
        Assert.Equal([30, 30], m.Sizes);
    }

    [Fact]
    public void Cluster_OneGroup_GivesOneStrategy()
    {
        var rng = new Random(5);
        var points = Enumerable.Range(0, 80).Select(_ => Blob(3, 3, rng)).ToList();
        StrategyModel m = StrategyModel.From(points, 6);
        Assert.Single(m.Centroids);
        Assert.Equal(80, m.Sizes[0]);
    }

    [Fact]
    public void Cluster_ThreeGroups_OfUnequalSize_NumberedBySize()
    {
        var rng = new Random(9);
        var points = Enumerable.Range(0, 90).Select(i => i < 50 ? Blob(0, 0, rng) : i < 75 ? Blob(0, 6, rng) : Blob(6, 3, rng)).ToList();
        StrategyModel m = StrategyModel.From(points, 6);
        Assert.Equal([50, 25, 15], m.Sizes);
        Assert.Equal("the top-left corner", MapGrid.Describe(m.Centroids[0], 8).Region);
        Assert.Equal("the bottom edge", MapGrid.Describe(m.Centroids[2], 8).Region);
    }

    [Fact]
    public void Cluster_SameInput_SameLabels_AndEigengapOfAKnownSpectrum()
    {
        var rng = new Random(11);
        var points = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Blob(0, 0, rng) : Blob(6, 6, rng)).ToList();
        Assert.Equal(SpectralClustering.Cluster(points, 4).Labels, SpectralClustering.Cluster(points.Select(p => (float[])p.Clone()).ToList(), 4).Labels);
        Assert.Equal(2, SpectralClustering.Eigengap([0, 0.01, 0.5, 0.6], 3));
        Assert.Equal(1, SpectralClustering.Eigengap([0, 0.6, 0.7, 0.8], 3));
        Assert.Equal(3, SpectralClustering.Eigengap([0, 0, 0.02, 0.9, 0.95], 3));
    }

    [Fact]
    public void Rule_CornerStrategyWithLowAccuracy_IsSuspicious_UnlessItsMapIsOnTheObject()
    {
        float[] centre = Blob(3, 3), corner = Blob(6, 6);
        StrategyStats onObject = new(1, 80, 76, null, centre), marker = new(2, 20, 1, null, corner);
        var v = StrategyRules.Decide([onObject, marker], centre, 1.25);
        Assert.False(v[0].Suspicious);
        Assert.True(v[0].Reference);
        Assert.True(v[1].Suspicious);
        Assert.Equal(0.0, v[1].Overlap);
        // Masks say its maps are on the object (mean lift above the off-object threshold): not a shortcut.
        Assert.False(StrategyRules.Decide([onObject, marker with { MeanLift = 3.0 }], centre, 1.25)[1].Suspicious);
        // Accurate: not suspicious, wherever it looks.
        Assert.False(StrategyRules.Decide([onObject, marker with { Correct = 15 }], centre, 1.25)[1].Suspicious);
        // No correct prediction in the class: no reference, every inaccurate strategy is suspicious.
        Assert.True(StrategyRules.Decide([onObject with { Correct = 0 }], null, 1.25)[0].Suspicious);
        string line = StrategyRules.Describe("triangle", 2, 0.28, 0.05, "the bottom-right corner", "the centre", 0.0, null);
        Assert.Equal("triangle: strategy 2 (28% of triangle predictions, accuracy 0.05) looks at the bottom-right corner, away from where correct triangle predictions look (the centre; shared attention 0.00): likely shortcut", line);
    }
}

/// <summary>The strategies benchmark at a tiny size, so the bench verb's path keeps working.</summary>
public sealed class StrategiesBenchmarkTests
{
    [Fact]
    public void Bench_TinySyntheticRun_FindsTheMarkerStrategyOfEachClass()
    {
        var r = GradCamAudit.Benchmarks.StrategiesBenchmark.Run(4000, 4, 7, TestPaths.NewTempDir("strategies-bench"), _ => { });
        Assert.Equal(4000, r.Rows);
        Assert.InRange(r.Strategies, 8, 24); // three places and the corner marker per class, some places merged
        Assert.True(r.Seconds > 0);
    }
}

/// <summary>Equal within an absolute tolerance.</summary>
internal sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

    public int GetHashCode(double obj) => 0;
}
