using System.Globalization;

namespace GradCamAudit.Explain;

/// <summary>
/// The classes a run explains, as given in <c>explain.targets</c>: <c>pred</c> and <c>true</c> (always explained: the
/// main table needs them), <c>top&lt;k&gt;</c> (the k highest-scoring classes, as targets <c>top1</c>...<c>topk</c>) and
/// <c>class:&lt;name&gt;</c> (one fixed class).
/// </summary>
public static class CamTargets
{
    public static bool IsValid(string target, IReadOnlyList<string> classes) => Options.TargetSpec.IsValid(target, classes);

    /// <summary>The explained target names in order: pred, true, then the others expanded (top3 → top1, top2, top3).</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> targets)
    {
        var result = new List<string> { "pred", "true" };
        foreach (string t in targets)
        {
            IEnumerable<string> names = t.StartsWith("top", StringComparison.Ordinal) && int.TryParse(t.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                ? Enumerable.Range(1, k).Select(i => string.Create(CultureInfo.InvariantCulture, $"top{i}"))
                : [t];
            result.AddRange(names.Where(n => !result.Contains(n, StringComparer.Ordinal)));
        }
        return result;
    }
}
