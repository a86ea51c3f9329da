using GradCamAudit.Results;

namespace GradCamAudit.Data;

/// <summary>
/// <c>validate</c>: every sample of any source checked without the model and without decoding pixels: the entry itself
/// (fields, label or category, id, paths inside the root), then the image's and the mask's headers (exist, regular,
/// decodable, same size, within the pixel limit; a COCO mask's size is its image record's), in parallel and reported
/// in row order. Headers cannot reveal truncated pixel data. (A VOC source reads its masks' pixels while listing,
/// since the classes present come from them.)
/// </summary>
public static class DatasetValidator
{
    public static IEnumerable<SampleError> Validate(ManifestReader manifest, ImageDecoder decoder, int workers, long? limit = null) =>
        Validate(manifest.Read(limit), decoder, workers);

    public static IEnumerable<SampleError> Validate(Sources.ISampleSource source, ImageDecoder decoder, int workers, long? limit = null) =>
        Validate(source.Read(limit), decoder, workers);

    private static IEnumerable<SampleError> Validate(IEnumerable<ManifestEntry> entries, ImageDecoder decoder, int workers)
    {
        const int chunk = 4096;
        var pending = new List<ManifestEntry>(chunk);
        foreach (ManifestEntry entry in entries)
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
