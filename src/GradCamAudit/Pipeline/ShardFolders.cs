using System.Globalization;
using System.Text.RegularExpressions;

namespace GradCamAudit.Pipeline;

/// <summary>
/// The shard run folders of one sharded audit, found under the folder its shards were given as <c>--output</c>
/// (<c>shard-I-of-N/</c>), so a merge step needs no shell glob (a Kubernetes container's arguments are not expanded)
/// and cannot pick up another shard count's leftovers.
/// </summary>
public static partial class ShardFolders
{
    /// <summary>The existing <c>shard-I-of-N</c> folders under <paramref name="root"/>, for the given N or the only one found.</summary>
    public static IReadOnlyList<string> Under(string root, int? count)
    {
        if (!Directory.Exists(root))
        {
            throw new UsageException($"--shards-in: folder '{root}' does not exist (no shard has started there)");
        }
        var found = Directory.EnumerateDirectories(root)
            .Select(d => (Path: d, Match: ShardFolder().Match(Path.GetFileName(d))))
            .Where(x => x.Match.Success)
            .Select(x => (x.Path, Index: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture), Count: int.Parse(x.Match.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();
        if (count is < 1)
        {
            throw new UsageException($"--shard-count must be positive, got {count}");
        }
        int[] counts = found.Select(f => f.Count).Distinct().Order().ToArray();
        int n = count ?? (counts.Length == 1 ? counts[0]
            : throw new UsageException(counts.Length == 0
                ? $"--shards-in: '{root}' holds no shard-I-of-N folder (did any shard start?)"
                : $"--shards-in: '{root}' holds shards of several counts ({string.Join(", ", counts)}): give --shard-count"));
        var mine = found.Where(f => f.Count == n && f.Index < n).OrderBy(f => f.Index).Select(f => f.Path).ToList();
        return mine.Count > 0 ? mine : throw new UsageException($"--shards-in: '{root}' holds no shard-I-of-{n} folder: all {n} shards are missing");
    }

    [GeneratedRegex(@"^shard-(\d{1,6})-of-(\d{1,6})$")]
    private static partial Regex ShardFolder();
}
