using GradCamAudit.Cli;
using GradCamAudit.Findings;
using GradCamAudit.Tests.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Findings;

/// <summary>The findings' I/O edge on a real run folder: decided again by <c>report</c> from the committed rows, whatever their part layout.</summary>
[Collection(TorchCollection.Name)]
public sealed class FindingsRunTests
{
    [Fact]
    public async Task Report_OnACopyWithThePartsRenamedInReverse_DecidesTheSameFindings()
    {
        string baseline = ReferenceRun.Baseline.Value.Output;
        string copy = TestPaths.CopyOf(baseline, "findings-reordered");
        File.Delete(Path.Combine(copy, FindingsRun.ParquetName));
        // The committed parts in the opposite order: the rows reach the class statistics in another order.
        string results = Path.Combine(copy, "results");
        string[] parts = [.. Directory.GetFiles(results, "part-*.parquet").Order(StringComparer.Ordinal)];
        for (int i = 0; i < parts.Length; i++)
        {
            File.Move(parts[i], Path.Combine(results, $"tmp-{parts.Length - 1 - i:D5}"));
        }
        foreach (string tmp in Directory.GetFiles(results, "tmp-*"))
        {
            File.Move(tmp, Path.Combine(results, "part-" + Path.GetFileName(tmp)[4..] + ".parquet"));
        }
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["report", "--run", copy]));
        FindingsAssert.Same(baseline, copy);
        Assert.True(File.Exists(Path.Combine(copy, FindingsRun.JsonName)));
    }

    [Fact]
    public void Overwrite_RemovesTheFindingsAndTheReviewExport_AndNothingElseOfTheReviewFolder()
    {
        string copy = TestPaths.CopyOf(ReferenceRun.Baseline.Value.Output, "findings-overwrite");
        string mine = Path.Combine(copy, ReviewExport.FolderName, "my-notes.txt");
        File.WriteAllText(mine, "kept");
        new GradCamAudit.Results.RunFolder(copy).DeleteRunArtefacts();
        Assert.False(File.Exists(Path.Combine(copy, FindingsRun.ParquetName)));
        Assert.False(File.Exists(Path.Combine(copy, FindingsRun.JsonName)));
        Assert.False(File.Exists(Path.Combine(copy, ReviewExport.FolderName, ReviewExport.CsvName)));
        Assert.True(File.Exists(mine));
    }
}
