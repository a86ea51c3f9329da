using GradCamAudit.Scoring;

namespace GradCamAudit.Findings.Strategies;

/// <summary>
/// Spectral clustering as SpRAy does it (Lapuschkin et al., Nat. Commun. 2019; von Luxburg, Stat. Comput. 2007;
/// Ng, Jordan and Weiss, NIPS 2001): a symmetric k-nearest-neighbour affinity with self-tuning weights
/// (Zelnik-Manor and Perona, NIPS 2004: w_ij = exp(-d_ij^2 / (s_i s_j)), s_i the distance to i's k-th neighbour), the
/// normalised Laplacian L = I - D^-1/2 W D^-1/2, the number of clusters c in [1, maxClusters] at the largest eigengap
/// lambda_(c+1) - lambda_c, and k-means on the rows (normalised to unit length) of the c smallest eigenvectors.
/// k = ceil(sqrt(n)), at least 2 and at most n - 1. Deterministic: no clock or global random state; k-means++ seeds from
/// SplitMix64 with a fixed seed, the best of <see cref="Restarts"/> by inertia, ties to the earlier. The caller puts
/// the points in a canonical order (by id hash), so any input order gives the same clusters.
/// </summary>
public static class SpectralClustering
{
    public const int Restarts = 8;
    public const int MaxIterations = 100;

    /// <summary>Below this many points no graph is built: one cluster.</summary>
    public const int MinPoints = 8;

    /// <summary>What a clustering found: a label per point (0-based; clusters numbered by size, largest first, ties by their first point), the count chosen, and the spectrum it was chosen from.</summary>
    public sealed record Result(int[] Labels, int Clusters, double[] Eigenvalues, int Neighbours);

    public static int NeighboursFor(int n) => Math.Clamp((int)Math.Ceiling(Math.Sqrt(n)), 2, Math.Max(2, n - 1));

    public static Result Cluster(IReadOnlyList<float[]> points, int maxClusters, ulong seed = 0x5eed)
    {
        int n = points.Count;
        if (n < MinPoints || maxClusters <= 1)
        {
            return new Result(new int[n], n == 0 ? 0 : 1, [], 0);
        }
        int k = NeighboursFor(n);
        double[] w = Affinity(points, k);
        // Normalised Laplacian.
        var degree = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                degree[i] += w[(i * n) + j];
            }
        }
        var laplacian = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double norm = degree[i] > 0 && degree[j] > 0 ? w[(i * n) + j] / Math.Sqrt(degree[i] * degree[j]) : 0;
                laplacian[(i * n) + j] = (i == j ? 1.0 : 0.0) - norm;
            }
        }
        (double[] values, double[] vectors) = SymmetricEigen.Decompose(laplacian, n);
        int c = Eigengap(values, Math.Min(maxClusters, n - 1));
        if (c == 1)
        {
            return new Result(new int[n], 1, values.Take(maxClusters + 1).ToArray(), k);
        }
        var embedding = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var row = new double[c];
            for (int j = 0; j < c; j++)
            {
                row[j] = vectors[(i * n) + j];
            }
            double len = Math.Sqrt(row.Sum(x => x * x));
            embedding[i] = row.Select(x => (float)(len > 0 ? x / len : 0)).ToArray();
        }
        int[] labels = KMeans(embedding, c, seed);
        return new Result(Renumber(labels, c), labels.Distinct().Count(), values.Take(maxClusters + 1).ToArray(), k);
    }

    /// <summary>The count c in [1, max] with the largest gap lambda_(c+1) - lambda_c (ascending eigenvalues), the smallest on ties.</summary>
    public static int Eigengap(IReadOnlyList<double> ascending, int max)
    {
        int best = 1;
        double gap = double.NegativeInfinity;
        for (int c = 1; c <= max && c < ascending.Count; c++)
        {
            double g = ascending[c] - ascending[c - 1];
            if (g > gap + 1e-12)
            {
                (best, gap) = (c, g);
            }
        }
        return best;
    }

    /// <summary>The symmetric kNN affinity: an edge where j is among i's k nearest or i among j's, weighted by the self-tuning kernel.</summary>
    public static double[] Affinity(IReadOnlyList<float[]> points, int k)
    {
        int n = points.Count;
        var d2 = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                d2[(i * n) + j] = d2[(j * n) + i] = MapGrid.Distance2(points[i], points[j]);
            }
        }
        var neighbours = new int[n][];
        var scale = new double[n];
        var order = new int[n - 1];
        var keys = new double[n - 1];
        for (int i = 0; i < n; i++)
        {
            int m = 0;
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                {
                    order[m] = j;
                    keys[m++] = d2[(i * n) + j];
                }
            }
            // Stable by index on equal distances: Array.Sort is not stable, so sort (distance, index) pairs.
            int[] sorted = order.Select((j, idx) => (j, keys[idx])).OrderBy(p => p.Item2).ThenBy(p => p.j).Take(k).Select(p => p.j).ToArray();
            neighbours[i] = sorted;
            scale[i] = Math.Sqrt(d2[(i * n) + sorted[^1]]);
        }
        double floor = Math.Max(1e-12, scale.Where(s => s > 0).DefaultIfEmpty(1).Min() * 1e-6);
        var w = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            foreach (int j in neighbours[i])
            {
                double v = Math.Exp(-d2[(i * n) + j] / (Math.Max(scale[i], floor) * Math.Max(scale[j], floor)));
                w[(i * n) + j] = w[(j * n) + i] = v;
            }
        }
        return w;
    }

    /// <summary>k-means with k-means++ seeding (Arthur and Vassilvitskii 2007), the best of <see cref="Restarts"/> seeded runs.</summary>
    public static int[] KMeans(IReadOnlyList<float[]> points, int clusters, ulong seed)
    {
        int n = points.Count, dim = points[0].Length;
        int[]? best = null;
        double bestInertia = double.PositiveInfinity;
        var rng = new SplitMix64(seed);
        for (int restart = 0; restart < Restarts; restart++)
        {
            var centres = new double[clusters][];
            centres[0] = points[(int)(rng.Next() % (ulong)n)].Select(x => (double)x).ToArray();
            var nearest = Enumerable.Range(0, n).Select(i => D2(points[i], centres[0])).ToArray();
            for (int c = 1; c < clusters; c++)
            {
                double total = nearest.Sum();
                int pick = 0;
                if (total > 0)
                {
                    double u = rng.NextDouble() * total, acc = 0;
                    for (pick = 0; pick < n - 1; pick++)
                    {
                        acc += nearest[pick];
                        if (acc > u)
                        {
                            break;
                        }
                    }
                }
                centres[c] = points[pick].Select(x => (double)x).ToArray();
                for (int i = 0; i < n; i++)
                {
                    nearest[i] = Math.Min(nearest[i], D2(points[i], centres[c]));
                }
            }
            var labels = new int[n];
            for (int iteration = 0; iteration < MaxIterations; iteration++)
            {
                bool changed = false;
                for (int i = 0; i < n; i++)
                {
                    int l = Nearest(points[i], centres);
                    if (l != labels[i] || iteration == 0)
                    {
                        changed |= l != labels[i];
                        labels[i] = l;
                    }
                }
                if (!changed && iteration > 0)
                {
                    break;
                }
                for (int c = 0; c < clusters; c++)
                {
                    var sum = new double[dim];
                    int count = 0;
                    for (int i = 0; i < n; i++)
                    {
                        if (labels[i] == c)
                        {
                            count++;
                            for (int d = 0; d < dim; d++)
                            {
                                sum[d] += points[i][d];
                            }
                        }
                    }
                    if (count > 0)
                    {
                        centres[c] = sum.Select(s => s / count).ToArray();
                    }
                }
            }
            double inertia = Enumerable.Range(0, n).Sum(i => D2(points[i], centres[labels[i]]));
            if (inertia < bestInertia - 1e-12)
            {
                (best, bestInertia) = (labels, inertia);
            }
        }
        return best!;
    }

    /// <summary>Clusters numbered by size (largest first), ties by their first point; empty clusters dropped.</summary>
    public static int[] Renumber(int[] labels, int clusters)
    {
        var order = Enumerable.Range(0, clusters).Where(c => labels.Contains(c))
            .OrderByDescending(c => labels.Count(l => l == c)).ThenBy(c => Array.IndexOf(labels, c)).ToArray();
        var map = new int[clusters];
        for (int i = 0; i < order.Length; i++)
        {
            map[order[i]] = i;
        }
        return labels.Select(l => map[l]).ToArray();
    }

    private static int Nearest(float[] p, double[][] centres)
    {
        int best = 0;
        double bestD = double.PositiveInfinity;
        for (int c = 0; c < centres.Length; c++)
        {
            double d = D2(p, centres[c]);
            if (d < bestD)
            {
                (best, bestD) = (c, d);
            }
        }
        return best;
    }

    private static double D2(float[] p, double[] c)
    {
        double s = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double d = p[i] - c[i];
            s += d * d;
        }
        return s;
    }
}
