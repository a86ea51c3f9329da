namespace GradCamAudit.Findings.Strategies;

/// <summary>A class's clustering: the strategies' centroids in the normalised map space and how many sampled rows each had.</summary>
public sealed record StrategyModel(IReadOnlyList<float[]> Centroids, int[] Sizes, int SampleSize, SpectralClustering.Result Clustering, int Chosen)
{
    /// <summary>Clusters the points (unit-sum grids, in their canonical order) and merges clusters that look at the same place.</summary>
    public static StrategyModel From(IReadOnlyList<float[]> points, int maxStrategies)
    {
        int cells = points.Count == 0 ? 0 : points[0].Length;
        SpectralClustering.Result result = SpectralClustering.Cluster(points, maxStrategies);
        int c = result.Clusters, chosen = result.Clusters;
        var centroids = new List<float[]>();
        var sizes = new int[c];
        for (int s = 0; s < c; s++)
        {
            var sum = new double[cells];
            for (int i = 0; i < points.Count; i++)
            {
                if (result.Labels[i] == s)
                {
                    sizes[s]++;
                    for (int j = 0; j < sum.Length; j++)
                    {
                        sum[j] += points[i][j];
                    }
                }
            }
            centroids.Add(sum.Select(v => (float)(v / Math.Max(1, sizes[s]))).ToArray());
        }
        // Clusters whose mean maps share most of their attention look at the same place: one strategy.
        int[] labels = StrategyMerge.Merge(result.Labels, centroids, sizes, out List<float[]> merged, out int[] mergedSizes);
        result = result with { Labels = labels, Clusters = merged.Count };
        (centroids, sizes) = (merged, mergedSizes);
        return new StrategyModel(centroids, sizes, points.Count, result, chosen);
    }

    /// <summary>The nearest centroid (the lower id on ties) and its squared distance.</summary>
    public (int Strategy, double Distance2) Nearest(float[] grid)
    {
        int best = 0;
        double bestD = double.PositiveInfinity;
        for (int s = 0; s < Centroids.Count; s++)
        {
            double d = MapGrid.Distance2(grid, Centroids[s]);
            if (d < bestD)
            {
                (best, bestD) = (s, d);
            }
        }
        return (best, bestD);
    }
}
