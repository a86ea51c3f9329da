namespace GradCamAudit.Data;

/// <summary>
/// <c>validate</c>: every manifest row checked without the model and without decoding pixels: the row itself (fields,
/// label, id, paths inside the manifest's folder), then both files' headers (exist, regular, decodable, same size,
/// within the pixel limit), in parallel and reported in row order. Headers cannot reveal truncated pixel data.
/// </summary>
public static class DatasetValidator
{
    public static IEnumerable<SampleError> Validate(ManifestReader manifest, ImageDecoder decoder, int workers, long? limit = null)
    {
        const int chunk = 4096;
        var pending = new List<ManifestEntry>(chunk);
        foreach (ManifestEntry entry in manifest.Read(limit))
        {
            pending.Add(entry);
            if (pending.Count == chunk)
            {
                foreach (SampleError e in Check(pending, decoder, workers))
                {
                    yield return e;
                }
                pending.Clear();
            }
        }
        foreach (SampleError e in Check(pending, decoder, workers))
        {
            yield return e;
        }
    }

    private static IEnumerable<SampleError> Check(List<ManifestEntry> entries, ImageDecoder decoder, int workers)
    {
        var found = new SampleError?[entries.Count];
        Parallel.For(0, entries.Count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            ManifestEntry e = entries[i];
            if (e.ErrorCode != null)
            {
                found[i] = new SampleError(e.Source.Row, e.Source.SampleId, e.Source.Image, e.ErrorCode, e.ErrorDetail ?? "");
                return;
            }
            try
            {
                decoder.CheckHeaders(e);
            }
            catch (SampleException ex)
            {
                found[i] = new SampleError(e.Source.Row, e.Source.SampleId, e.Source.Image, ex.ReasonCode, ex.Message);
            }
        });
        return found.Where(f => f != null)!;
    }
}
