
namespace GradCamAudit.Results;

/// <summary>Reading a run folder's committed parts back: coverage, debris of a killed run, the assembled errors.csv.</summary>
public static class RunParts
{
    /// <summary>
    /// The coverage of every committed part, checked to be part-00000, part-00001, ... in increasing row order (the
    /// committer writes them one after another, so committed parts are always a prefix of the run).
    /// </summary>
    public static async Task<PartCoverage[]> ReadAllAsync(RunFolder folder, CancellationToken ct)
    {
        IReadOnlyList<string> files = folder.ResultParts();
        var parts = new PartCoverage[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            if (Path.GetFileName(files[i]) != RunFolder.PartName(i, "parquet"))
            {
                throw new InvalidDataException($"'{folder.ResultsDirectory}': expected {RunFolder.PartName(i, "parquet")} but found {Path.GetFileName(files[i])} (a part is missing)");
            }
            parts[i] = await PartCommitter.ReadCoverageAsync(files[i], i, ct).ConfigureAwait(false)
                ?? throw new InvalidDataException($"'{files[i]}' carries no coverage metadata: not a part this tool committed (rewritten by another tool?)");
            if (i > 0 && parts[i].RowCount > 0 && parts[i - 1].RowCount > 0 && parts[i].FirstRow <= parts[i - 1].LastRow)
            {
                throw new InvalidDataException($"'{files[i]}' starts at row {parts[i].FirstRow}, inside the previous part (through row {parts[i - 1].LastRow})");
            }
        }
        return parts;
    }

    /// <summary>Removes what a killed run left half-done (temporary files, error parts whose results part was never committed).</summary>
    public static async Task<PartCoverage[]> DiscardUncommittedAsync(RunFolder folder, CancellationToken ct)
    {
        foreach (string dir in new[] { folder.ResultsDirectory, folder.ErrorPartsDirectory, folder.ExplanationsDirectory })
        {
            if (Directory.Exists(dir))
            {
                foreach (string temp in Directory.EnumerateFiles(dir, ".*.tmp"))
                {
                    File.Delete(temp);
                }
            }
        }
        PartCoverage[] parts = await ReadAllAsync(folder, ct).ConfigureAwait(false);
        foreach (string errorPart in folder.ErrorParts().Concat(folder.ExplanationParts()))
        {
            string name = Path.GetFileNameWithoutExtension(errorPart);
            if (!File.Exists(Path.Combine(folder.ResultsDirectory, name + ".parquet")))
            {
                File.Delete(errorPart);
            }
        }
        File.Delete(RunFolder.TempPath(folder.RunJsonPath));
        File.Delete(RunFolder.TempPath(folder.ReportPath));
        return parts;
    }

    /// <summary>errors.csv from the error parts of the committed parts, in row order, written atomically.</summary>
    public static void AssembleErrors(RunFolder folder, IReadOnlyList<PartCoverage> parts)
    {
        IEnumerable<SampleError> All()
        {
            foreach (PartCoverage p in parts)
            {
                string path = folder.ErrorPartPath(p.Index);
                if (p.ErrorRows == 0 && !File.Exists(path))
                {
                    continue;
                }
                foreach (SampleError e in PartCommitter.ReadErrors(path))
                {
                    yield return e;
                }
            }
        }
        RunFolder.WriteAtomic(folder.ErrorsCsvPath, s => PartCommitter.WriteErrors(s, All(), neutralise: false));
    }
}
