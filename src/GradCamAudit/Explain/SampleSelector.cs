using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GradCamAudit.Explain;

/// <summary>
/// Chooses the samples an expensive explanation runs on (<c>explain.perturbationSample</c>, ...) by a hash of the
/// sample id with <c>explain.seed</c>, never by position: shards, resumed runs and tomorrow's run of the same dataset
/// choose the same samples. A percentage ("10%") takes the ids whose hash falls in that share of the hash range; a
/// count N takes the N smallest hashes of the dataset's valid ids (one pass over the ids when the run starts).
/// </summary>
public sealed class SampleSelector
{
    private readonly ulong threshold;

    private SampleSelector(int seed, ulong threshold)
    {
        Seed = seed;
        this.threshold = threshold;
    }

    public int Seed { get; }

    public bool Takes(string sampleId) => TakesHash(Hash(Seed, sampleId));

    /// <summary>Whether the sample with this <see cref="Hash"/> (of this selector's seed) is chosen: one hash serves every selector of a run.</summary>
    public bool TakesHash(ulong hash) => hash <= threshold;

    /// <summary>64 bits of SHA-256 of "seed:id" (stable across platforms and versions, unlike string.GetHashCode).</summary>
    public static ulong Hash(int seed, string sampleId)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed.ToString(CultureInfo.InvariantCulture) + ":" + sampleId), digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    /// <summary>True when <paramref name="spec"/> is a count ("25", 25) or a percentage ("10%") in (0, 100].</summary>
    public static bool IsValid(string spec) => Options.SampleSpec.TryParse(spec, out _, out _);

    /// <summary>The selector for <paramref name="spec"/>; <paramref name="ids"/> is enumerated only for a count.</summary>
    public static SampleSelector Create(string spec, int seed, Func<IEnumerable<string>> ids) => Create(spec, seed, () => ids().Select(id => Hash(seed, id)));

    /// <summary>The selector for <paramref name="spec"/> from the hashes (<see cref="Hash"/> with <paramref name="seed"/>) of the dataset's valid ids, enumerated only for a count.</summary>
    public static SampleSelector Create(string spec, int seed, Func<IEnumerable<ulong>> hashes)
    {
        if (!Options.SampleSpec.TryParse(spec, out double? percent, out long? count))
        {
            throw new ArgumentException($"'{spec}' is neither a count nor a percentage", nameof(spec));
        }
        if (percent is double p)
        {
            return new SampleSelector(seed, p >= 100 ? ulong.MaxValue : (ulong)(p / 100 * ulong.MaxValue));
        }
        // The N smallest hashes: a max-heap of N.
        long n = count!.Value;
        var heap = new PriorityQueue<ulong, ulong>(Comparer<ulong>.Create((a, b) => b.CompareTo(a)));
        foreach (ulong h in hashes())
        {
            if (heap.Count < n)
            {
                heap.Enqueue(h, h);
            }
            else if (heap.TryPeek(out ulong largest, out _) && h < largest)
            {
                heap.EnqueueDequeue(h, h);
            }
        }
        return new SampleSelector(seed, heap.Count < n ? ulong.MaxValue : heap.Peek());
    }

}
