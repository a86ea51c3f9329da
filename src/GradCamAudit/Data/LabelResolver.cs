using System.Globalization;

namespace GradCamAudit.Data;

/// <summary>A label matches a class name first; only when no class has that name is it read as a 0-based index.</summary>
public sealed class LabelResolver(IReadOnlyList<string> classes)
{
    private readonly Dictionary<string, int> byName = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);

    public int Count => classes.Count;

    public bool TryResolve(string label, out int index)
    {
        if (byName.TryGetValue(label, out index))
        {
            return true;
        }
        return int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index >= 0 && index < classes.Count;
    }
}
