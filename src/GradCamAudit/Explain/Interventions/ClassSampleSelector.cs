namespace GradCamAudit.Explain.Interventions;

/// <summary>
/// Chooses, per class, the samples with the <c>N</c> smallest <see cref="SampleSelector.Hash"/> values among the valid
/// manifest rows of that (given) class: a bounded, deterministic sample that every shard, resumed run and tomorrow's
/// run of the same dataset agrees on, because it is decided from the whole manifest's ids before the audit starts and
/// never from what the model does. N = 0 chooses nothing; <see cref="All"/> chooses every sample.
/// </summary>
public sealed class ClassSampleSelector
{
    // Per class: the largest hash taken, or null when the class takes nothing (no samples, or N = 0).
    private readonly ulong?[] thresholds;

    private ClassSampleSelector(ulong?[] thresholds) => this.thresholds = thresholds;

    /// <summary>A selector that takes every sample of every class.</summary>
    public static ClassSampleSelector All(int classCount) => new(Enumerable.Repeat<ulong?>(ulong.MaxValue, Math.Max(1, classCount)).ToArray());

    /// <summary>A selector that takes nothing.</summary>
    public static ClassSampleSelector None(int classCount) => new(new ulong?[Math.Max(1, classCount)]);

    /// <summary>The per-class bottom-<paramref name="perClass"/> of the hashes (one pass; memory: classes × perClass hashes).</summary>
    public static ClassSampleSelector Create(int perClass, int classCount, IEnumerable<(int Label, ulong Hash)> samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        if (perClass == 0)
        {
            return None(classCount);
        }
        var heaps = new PriorityQueue<ulong, ulong>?[Math.Max(1, classCount)];
        var descending = Comparer<ulong>.Create((a, b) => b.CompareTo(a));
        foreach ((int label, ulong hash) in samples)
        {
            if (label < 0 || label >= heaps.Length)
            {
                continue;
            }
            PriorityQueue<ulong, ulong> heap = heaps[label] ??= new PriorityQueue<ulong, ulong>(descending);
            if (heap.Count < perClass)
            {
                heap.Enqueue(hash, hash);
            }
            else if (heap.TryPeek(out ulong largest, out _) && hash < largest)
            {
                heap.EnqueueDequeue(hash, hash);
            }
        }
        // A class with fewer than perClass samples takes them all; a class with none takes nothing.
        return new ClassSampleSelector(heaps.Select(h => h == null ? (ulong?)null : h.Count < perClass ? ulong.MaxValue : h.Peek()).ToArray());
    }

    /// <summary>Whether the sample of (given) class <paramref name="label"/> with this hash is chosen.</summary>
    public bool Takes(int label, ulong hash) => label >= 0 && label < thresholds.Length && thresholds[label] is ulong max && hash <= max;
}
