namespace GradCamAudit.Data.Sources;

/// <summary>
/// Which samples an annotated image gives (<c>dataset.sampling</c>), as a pure function of the categories present
/// and their annotated areas: <c>largest</c> one sample, the category of the largest total area (ties: the lowest
/// category key); <c>per-category</c> one sample per category present, in ascending key order (COCO: category id;
/// VOC: class index).
/// </summary>
public static class SamplingPolicy
{
    public static IReadOnlyList<long> Choose(IReadOnlyDictionary<long, double> areaByCategory, string sampling)
    {
        if (areaByCategory.Count == 0)
        {
            return [];
        }
        if (sampling == "per-category")
        {
            return areaByCategory.Keys.Order().ToArray();
        }
        double best = areaByCategory.Values.Max();
        return [areaByCategory.Where(kv => kv.Value == best).Min(kv => kv.Key)];
    }
}
