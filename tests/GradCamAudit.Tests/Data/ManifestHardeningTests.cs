using GradCamAudit.Data;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;
using GradCamAudit.Tests.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>Manifests as they come from spreadsheets and scripts: CsvHelper's guesses switched off, every row accounted for.</summary>
[Collection(TorchCollection.Name)]
public sealed class ManifestHardeningTests
{
    private static readonly string[] Classes = ["circle", "square"];

    private static string Manifest(params string[] lines)
    {
        string dir = TestPaths.NewTempDir("manifest");
        string path = Path.Combine(dir, "manifest.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void UnclosedQuote_IsOneMalformedRow_AndReadingResumesAtTheNextLine()
    {
        string path = Manifest(
            "image,label,mask,note",
            "a.png,circle,a_mask.png,fine",
            "b.png,circle,b_mask.png,\"never closed",
            "c.png,square,c_mask.png,fine",
            "d.png,square,d_mask.png,\"quoted, with a comma\"");
        var rows = new ManifestReader(path, Classes).Read().ToList();
        Assert.Equal([1L, 2, 3, 4], rows.Select(r => r.Source.Row));
        Assert.Equal(ReasonCodes.MalformedRow, rows[1].ErrorCode);
        Assert.Null(rows[0].ErrorCode);
        Assert.Null(rows[2].ErrorCode);
        Assert.Equal("c.png", rows[2].Source.Image);
        Assert.Equal("quoted, with a comma", rows[3].Source.Extra[0]);
    }

    [Fact]
    public void Semicolons_AreNotGuessedAsTheSeparator()
    {
        // With separator detection on, this file would be read as four columns; as CSV it has one header field.
        string path = Manifest("image;label;mask;note", "a.png;circle;a_mask.png;x", "b.png;square;b_mask.png;y");
        var ex = Assert.Throws<ConfigException>(() => new ManifestReader(path, Classes));
        Assert.Contains("lacks the column(s) image, label (", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateEmptyAndReservedHeaders_AreConfigErrors_ListedTogether()
    {
        string path = Manifest("image,label,mask,note,note,,correct,pred_cam,mask_source", "a.png,circle,a.png,1,2,3,4,5,6");
        var ex = Assert.Throws<ConfigException>(() => new ManifestReader(path, Classes));
        Assert.Contains("'note' appears more than once", ex.Message, StringComparison.Ordinal);
        Assert.Contains("column 6 has an empty name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'correct'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'pred_cam'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'mask_source'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateId_IsDecidedAfterTheRowIsValid()
    {
        string path = Manifest(
            "id,image,label,mask",
            "s1,../outside.png,circle,m.png", // invalid: does not claim the id
            "s1,a.png,circle,m.png",
            "s1,b.png,square,m.png");
        var rows = new ManifestReader(path, Classes).Read().ToList();
        Assert.Equal(ReasonCodes.InvalidPath, rows[0].ErrorCode);
        Assert.Null(rows[1].ErrorCode);
        Assert.Equal(ReasonCodes.DuplicateId, rows[2].ErrorCode);
        Assert.DoesNotContain(Path.GetDirectoryName(path)!, rows[0].ErrorDetail, StringComparison.Ordinal); // no server paths in details
    }

    [Fact]
    public void HugeRecord_IsOneMalformedRow_AndTheNextLinesAreRead()
    {
        string path = Manifest("image,label,mask", "a.png,circle,\"" + new string('x', 3 * 1024 * 1024), "b.png,circle,b_mask.png", "c.png,square,c_mask.png");
        List<ManifestEntry> rows = new ManifestReader(path, Classes).Read().ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(ReasonCodes.MalformedRow, rows[0].ErrorCode);
        Assert.Contains("longer than 1024 KiB", rows[0].ErrorDetail, StringComparison.Ordinal);
        Assert.Equal(1, rows[0].Source.Row);
        Assert.Equal(["b.png", "c.png"], rows.Skip(1).Select(r => r.Source.Image));
        Assert.Equal([2L, 3L], rows.Skip(1).Select(r => r.Source.Row));
        Assert.All(rows.Skip(1), r => Assert.Null(r.ErrorCode));
        Assert.Equal(4, BoundedLineReader.CountNonEmptyLines(path)); // the header and three records, the 3 MB line counted on its bytes
    }

    [Fact]
    public void PassThroughColumns_CollidingOnlyByCase_AreConfigErrors()
    {
        string path = Manifest("image,label,mask,Confidence,ROW,note,Note,Pred_x", "a.png,circle,a_mask.png,1,2,x,y,z");
        var ex = Assert.Throws<ConfigException>(() => new ManifestReader(path, Classes));
        Assert.Contains(ex.Errors, e => e.Contains("'Confidence' would collide", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("'ROW' would collide", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("'Pred_x' would collide", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("'note', 'Note' differ only by case", StringComparison.Ordinal));
        Assert.Equal(4, ex.Errors.Count);
    }

    [Fact]
    public void BoundedLineReader_PassesShortLinesThroughUnchanged_AndCountsLinesOnBytes()
    {
        string text = "a,b\r\nccc\n\n" + new string('z', 100) + "\nlast";
        using var reader = new BoundedLineReader(new StringReader(text), 10);
        Assert.Equal("a,b\r\nccc\n\n" + BoundedLineReader.OversizeMarker + "\nlast", reader.ReadToEnd());
        string file = Manifest("x", "y", "", "z");
        Assert.Equal(3, BoundedLineReader.CountNonEmptyLines(file));
    }

    [Fact]
    public async Task NonFiniteModelOutput_IsASampleError_AndAllFailedRunStillHasAReadableDataset()
    {
        string dir = TestPaths.NewTempDir("nan");
        string weights = Path.Combine(dir, "nan.bin");
        Torch.Initialise();
        using (var cnn = new DemoCnn(4))
        {
            var bias = cnn.named_parameters().Single(p => p.name == "classifier.bias").parameter;
            using (TorchSharp.torch.no_grad())
            {
                bias[0] = TorchSharp.torch.tensor(float.NaN);
            }
            cnn.save(weights);
        }
        AuditOptions options = AuditConfig.Load(TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 6), weights: weights));
        RunManifest run = await AuditRunner.RunAsync(options, new RunRequest(null, false), _ => { });
        Assert.Equal(6, run.Counts.Errors);
        var errors = File.ReadLines(Path.Combine(options.Output.Directory, "errors.csv")).Skip(1).ToList();
        Assert.Equal(6, errors.Count);
        Assert.All(errors, e => Assert.Contains(",non_finite_output,", e, StringComparison.Ordinal));
        var schema = Duck.Query($"SELECT count(*) AS n FROM {Duck.Results(options.Output.Directory)}");
        Assert.Equal(0L, Convert.ToInt64(schema[0]["n"]));
        Assert.Contains(Duck.Query($"DESCRIBE SELECT * FROM {Duck.Results(options.Output.Directory)}"), c => (string)c["column_name"]! == "pred_cam");
    }

    [Fact]
    public void ErrorsCsv_NeutralisesFormulaCells()
    {
        using var stream = new MemoryStream();
        PartCommitter.WriteErrors(stream, [new SampleError(3, "=HYPERLINK(\"x\")", "+a.png", ReasonCodes.ImageMissing, "@detail")]);
        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("'=HYPERLINK", text, StringComparison.Ordinal);
        Assert.Contains("'+a.png", text, StringComparison.Ordinal);
        Assert.Contains("'@detail", text, StringComparison.Ordinal);
        Assert.StartsWith("row,sample_id,image,reason_code,detail", text, StringComparison.Ordinal);
    }
}
