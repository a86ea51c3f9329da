namespace GradCamAudit.Findings.Strategies;

/// <summary>
/// Merges clusters that look at the same place: while two clusters' mean maps share at least <see cref="MergeAbove"/>
/// of their attention (histogram intersection of unit-sum maps), the pair sharing the most (ties: the lower ids) becomes
/// one, its centroid the size-weighted mean. Spectral clustering splits a diffuse blob of maps (the demo's texture
/// shortcut: attention spread over the whole image) at its weak eigengaps into parts that look nearly alike (0.86 to
/// 0.89 shared); separate strategies on the demo share at most 0.56. A strategy is where a model looks, so those parts
/// are one. Clusters are renumbered by size afterwards (largest first, ties by their first point).
/// </summary>
public static class StrategyMerge
{
    public const double MergeAbove = 0.75;

    public static int[] Merge(int[] labels, IReadOnlyList<float[]> centroids, int[] sizes, out List<float[]> merged, out int[] mergedSizes)
    {
        var cents = centroids.Select(c => (float[])c.Clone()).ToList();
        var counts = sizes.ToList();
        var map = Enumerable.Range(0, cents.Count).ToArray(); // original label -> current cluster
        while (cents.Count > 1)
        {
            (int a, int b, double best) = (-1, -1, double.NegativeInfinity);
            for (int i = 0; i < cents.Count; i++)
            {
                for (int j = i + 1; j < cents.Count; j++)
                {
                    double o = MapGrid.Intersection(cents[i], cents[j]);
                    if (o > best + 1e-12)
                    {
                        (a, b, best) = (i, j, o);
                    }
                }
            }
            if (best < MergeAbove)
            {
                break;
            }
            int total = counts[a] + counts[b];
            cents[a] = cents[a].Zip(cents[b], (x, y) => (float)(((double)x * counts[a] + (double)y * counts[b]) / Math.Max(1, total))).ToArray();
            counts[a] = total;
            cents.RemoveAt(b);
            counts.RemoveAt(b);
            for (int l = 0; l < map.Length; l++)
            {
                map[l] = map[l] == b ? a : map[l] > b ? map[l] - 1 : map[l];
            }
        }
        int[] relabelled = SpectralClustering.Renumber(labels.Select(l => map[l]).ToArray(), cents.Count);
        // The renumbering's order, applied to the centroids and counts.
        var order = new int[cents.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            order[relabelled[i]] = map[labels[i]];
        }
        merged = order.Select(o => cents[o]).ToList();
        mergedSizes = order.Select(o => counts[o]).ToArray();
        return relabelled;
    }
}
