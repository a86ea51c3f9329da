using System.Globalization;
using CsvHelper;

namespace GradCamAudit.Options;

/// <summary>One known finding: a sample the team has looked at, why, and until when the acknowledgement holds.</summary>
public sealed record Acknowledgement(string SampleId, string Note, DateOnly? ReviewBy)
{
    /// <summary>True while the acknowledgement holds on <paramref name="day"/>: no review date, or the day is not after it.</summary>
    public bool HoldsOn(DateOnly day) => ReviewBy is not DateOnly until || day <= until;
}

/// <summary>
/// <c>gates.acknowledged</c>: a CSV with columns <c>sample_id,note</c> and an optional <c>review_by</c> (yyyy-MM-dd).
/// An acknowledged sample stays visible in the report (greyed, with its note) but the gates do not count it, until the
/// day after its review date, when it counts again. The day is the run's own start date (UTC), so re-rendering an old
/// run gives the same answer. Read with CsvHelper set on purpose (comma, no guessed separator, a line break ends a
/// record); every problem is listed at once.
/// </summary>
public sealed class Acknowledgements
{
    public static Acknowledgements None { get; } = new(new Dictionary<string, Acknowledgement>(StringComparer.Ordinal));

    private readonly Dictionary<string, Acknowledgement> entries;

    private Acknowledgements(Dictionary<string, Acknowledgement> entries) => this.entries = entries;

    public int Count => entries.Count;

    public Acknowledgement? Find(string sampleId) => entries.GetValueOrDefault(sampleId);

    /// <summary>True when the sample is acknowledged and its acknowledgement holds on <paramref name="day"/>.</summary>
    public bool Excludes(string sampleId, DateOnly day) => Find(sampleId)?.HoldsOn(day) == true;

    /// <summary>The list of a run's config (none configured: <see cref="None"/>).</summary>
    public static Acknowledgements For(GatesOptions gates) => gates.Acknowledged == null ? None : Load(gates.Acknowledged);

    public static Acknowledgements Load(string path)
    {
        var problems = new List<string>();
        if (!File.Exists(path))
        {
            throw new ConfigException($"gates.acknowledged: '{path}' does not exist");
        }
        var entries = new Dictionary<string, Acknowledgement>(StringComparer.Ordinal);
        using var text = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        bool malformed = false;
        var options = new CsvReaderOptions
        {
            Separator = ',',
            DetectSeparatorHint = false,
            AllowLineBreaksInQuotes = false,
            MaxRecordSize = 64 * 1024,
            MalformedData = CsvMalformedDataHandling.Recover,
            OnMalformedRecord = _ => malformed = true,
        };
        using var csv = CsvReader.Create(text, options, leaveOpen: false);
        string[] headers = csv.Headers.Select(h => h.Trim()).ToArray();
        int id = Array.IndexOf(headers, "sample_id"), note = Array.IndexOf(headers, "note"), review = Array.IndexOf(headers, "review_by");
        if (id < 0 || note < 0)
        {
            throw new ConfigException($"gates.acknowledged: '{path}' needs the columns sample_id,note (and optionally review_by); found {string.Join(",", headers)}");
        }
        long line = 1;
        while (csv.Read())
        {
            line++;
            string Field(int i) => i >= 0 && i < csv.FieldCount ? csv.GetString(i).Trim() : "";
            string sample = Field(id), reviewText = Field(review);
            DateOnly? reviewBy = null;
            if (malformed)
            {
                problems.Add($"gates.acknowledged: record {line}: unbalanced quotes");
                malformed = false;
                continue;
            }
            if (sample.Length == 0)
            {
                problems.Add($"gates.acknowledged: record {line}: empty sample_id");
                continue;
            }
            if (reviewText.Length > 0)
            {
                if (!DateOnly.TryParseExact(reviewText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day))
                {
                    problems.Add($"gates.acknowledged: record {line}: review_by '{reviewText}' is not a date (yyyy-MM-dd)");
                    continue;
                }
                reviewBy = day;
            }
            if (!entries.TryAdd(sample, new Acknowledgement(sample, Field(note), reviewBy)))
            {
                problems.Add($"gates.acknowledged: record {line}: sample_id '{sample}' is listed twice");
            }
        }
        return problems.Count > 0 ? throw new ConfigException(problems) : new Acknowledgements(entries);
    }
}
