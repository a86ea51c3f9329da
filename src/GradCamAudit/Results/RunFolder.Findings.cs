namespace GradCamAudit.Results;

/// <summary>What the findings add to a run folder (see <c>Findings.FindingsRun</c>): theirs, so <c>--overwrite</c> removes them.</summary>
public sealed partial class RunFolder
{
    /// <summary>The findings files at the top of the run folder.</summary>
    public static readonly string[] FindingsNames = ["findings.parquet", "findings.json", "strategies.parquet", "strategy_assignments.parquet", "strategies.json"];

    /// <summary>The review export's folder (label_errors.csv and the Label Studio files).</summary>
    public const string ReviewName = "review";

    private static readonly string[] ReviewFiles = ["label_errors.csv", "label-studio-tasks.json", "label-studio-config.xml"];

    /// <summary>Removes the review export's own files, and its folder when nothing else is left in it.</summary>
    private void DeleteFindingsArtefacts()
    {
        string review = Path.Combine(Directory, ReviewName);
        if (!System.IO.Directory.Exists(review))
        {
            return;
        }
        foreach (string name in ReviewFiles)
        {
            File.Delete(Path.Combine(review, name));
            File.Delete(TempPath(Path.Combine(review, name)));
        }
        if (!System.IO.Directory.EnumerateFileSystemEntries(review).Any())
        {
            System.IO.Directory.Delete(review);
        }
    }
}
