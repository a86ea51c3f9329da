using CsvHelper;
using GradCamAudit.Data;

namespace GradCamAudit.Results;

/// <summary>errors.csv: one line per manifest row that could not be audited (row, sample_id, image, reason_code, detail).</summary>
public sealed class ErrorWriter : IDisposable
{
    private readonly StreamWriter text;
    private readonly CsvWriter csv;

    public ErrorWriter(string path)
    {
        text = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        csv = CsvWriter.Create(text, new CsvWriterOptions(), leaveOpen: true);
        csv.WriteRecord(["row", "sample_id", "image", "reason_code", "detail"]);
    }

    public long Count { get; private set; }

    public void Write(SampleError e)
    {
        csv.WriteRecord([e.Row.ToString(System.Globalization.CultureInfo.InvariantCulture), e.SampleId, e.Image, e.ReasonCode, e.Detail]);
        Count++;
    }

    public void Dispose()
    {
        csv.Dispose();
        text.Dispose();
    }
}
