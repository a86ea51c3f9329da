namespace GradCamAudit.Data.Sources;

/// <summary>
/// Sample ids are unique in every format: a valid entry whose id an earlier valid entry claimed becomes
/// <c>duplicate_id</c> (the earlier one is kept; a broken entry claims nothing), as in the CSV manifest.
/// </summary>
public static class UniqueIds
{
    public static IEnumerable<ManifestEntry> Enforce(IEnumerable<ManifestEntry> entries)
    {
        var seen = new IdSet();
        foreach (ManifestEntry e in entries)
        {
            if (e.ErrorCode == null && !seen.Add(e.Source.SampleId))
            {
                yield return e with { Label = -1, ErrorCode = ReasonCodes.DuplicateId, ErrorDetail = $"sample id '{e.Source.SampleId}' already used by an earlier row", Locator = null };
                continue;
            }
            yield return e;
        }
    }
}
