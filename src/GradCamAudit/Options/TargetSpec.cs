using System.Globalization;

namespace GradCamAudit.Options;

/// <summary>
/// The grammar of <c>explain.targets</c> (part of the config contract): <c>pred</c>, <c>true</c>, <c>top&lt;k&gt;</c>
/// with 1 &lt;= k &lt;= the number of classes, or <c>class:&lt;name&gt;</c> of a configured class.
/// </summary>
public static class TargetSpec
{
    public static bool IsValid(string target, IReadOnlyList<string> classes) =>
        target is "pred" or "true"
        || (target.StartsWith("top", StringComparison.Ordinal) && int.TryParse(target.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1 && k <= Math.Max(1, classes.Count))
        || (target.StartsWith("class:", StringComparison.Ordinal) && classes.Contains(target[6..], StringComparer.Ordinal));
}
