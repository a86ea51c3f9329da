using System.Globalization;
using System.Text;
using GradCamAudit.Scoring;

namespace GradCamAudit.Demo;

/// <summary>
/// The label-noise known answer: a fresh demo audit split (its own seed) where a seeded share of the clean samples
/// carries a wrong label, drawn uniformly from the other classes, beside the demo's two shortcut traps. The manifest
/// keeps the truth in pass-through columns: <c>noise</c> (<c>flipped</c> or <c>none</c>) and <c>original_label</c>.
/// Audited with the demo's committed model and default findings settings, it measures the precision and recall of
/// <c>label_error</c> and how the findings keep label errors and shortcuts apart (see the findings page).
/// </summary>
public static class LabelNoiseDemo
{
    public const int DefaultCleanPerClass = 125;
    public const int DefaultTrapPerClass = 17;
    public const int DefaultTexturePerClass = 17;
    public const double DefaultShare = 0.10;
    public const ulong DataSeed = 19;
    public const ulong NoiseSeed = 1910;

    /// <summary>Writes images, masks and manifest.csv under <paramref name="directory"/>; returns (samples, flipped).</summary>
    public static (int Samples, int Flipped) Write(string directory, int cleanPerClass = DefaultCleanPerClass, int trapPerClass = DefaultTrapPerClass,
        int texturePerClass = DefaultTexturePerClass, double share = DefaultShare)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(share, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1.0);
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        Directory.CreateDirectory(Path.Combine(directory, "masks"));
        var samples = DemoDataset.AuditSplit(cleanPerClass, trapPerClass, DataSeed, texturePerClass).ToList();
        int clean = samples.Count(s => s.Group == "clean");
        int[] flips = Choose(clean, (int)Math.Round(share * clean, MidpointRounding.AwayFromZero), new SplitMix64(NoiseSeed), out SplitMix64 rng);
        var flipped = new HashSet<int>(flips);
        var manifest = new StringBuilder("id,image,label,mask,group,marker,noise,original_label\n");
        int cleanIndex = 0;
        for (int n = 0; n < samples.Count; n++)
        {
            (string group, DemoSample s) = samples[n];
            string id = string.Create(CultureInfo.InvariantCulture, $"{group}-{n:D4}");
            DemoDataset.WritePng(Path.Combine(directory, "images", id + ".png"), s.Rgb, 3);
            DemoDataset.WritePng(Path.Combine(directory, "masks", id + ".png"), s.Mask.Select(v => (byte)(v * 255)).ToArray(), 1);
            int label = s.Label;
            bool flip = group == "clean" && flipped.Contains(cleanIndex);
            if (flip)
            {
                label = (s.Label + 1 + rng.Int(0, DemoDataset.Classes.Count - 1)) % DemoDataset.Classes.Count; // any other class, uniformly
            }
            if (group == "clean")
            {
                cleanIndex++;
            }
            string marker = s.Marker ? "corner" : s.Texture ? "texture" : "none";
            manifest.Append(CultureInfo.InvariantCulture,
                $"{id},images/{id}.png,{DemoDataset.Classes[label]},masks/{id}.png,{group},{marker},{(flip ? "flipped" : "none")},{DemoDataset.Classes[s.Label]}\n");
        }
        File.WriteAllText(Path.Combine(directory, "manifest.csv"), manifest.ToString());
        return (samples.Count, flips.Length);
    }

    /// <summary>k distinct indices of [0, n) by a partial Fisher-Yates shuffle, in ascending order; the generator goes on for the new labels.</summary>
    private static int[] Choose(int n, int k, SplitMix64 seeded, out SplitMix64 rng)
    {
        int[] order = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = seeded.Int(i, n);
            (order[i], order[j]) = (order[j], order[i]);
        }
        rng = seeded;
        return order.Take(k).Order().ToArray();
    }
}
