using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GradCamAudit.Demo;
using GradCamAudit.Findings;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;

namespace GradCamAudit.Tests.Findings;

/// <summary>
/// The label-noise known answer, audited once: <see cref="LabelNoiseDemo"/> written by the project's own code, the
/// shipped configs/label-noise.json (defaults everywhere the demo allows; the CNN trained with partial shortcuts) or
/// configs/label-noise-demo-cnn.json (the committed demo CNN, which never learned squares). Scores the
/// findings and confident learning (computed by confident_learning.py with Debian's numpy over the same
/// probabilities) against the manifest's truth.
/// </summary>
public sealed class LabelNoiseRun
{
    public LabelNoiseRun(string config = "label-noise.json")
    {
        string dir = TestPaths.NewTempDir("label-noise");
        string data = Path.Combine(dir, "data");
        LabelNoiseDemo.Write(data);
        OutputDirectory = Path.Combine(dir, "out");
        AuditOptions options = AuditConfig.Load(Path.Combine(TestPaths.Configs, config), OutputDirectory,
            ["dataset.manifest=" + Path.Combine(data, "manifest.csv"), "audit.device=cpu"]);
        Config = options;
        AuditRunner.RunAsync(options, new RunRequest(null, Overwrite: true), _ => { }).GetAwaiter().GetResult();
        Truth = File.ReadLines(Path.Combine(data, "manifest.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => c[0], c => new SampleTruth(c[4], c[6] == "flipped", DemoDataset.Classes.ToList().IndexOf(c[7])), StringComparer.Ordinal);
        Rows = ResultsReader.ReadRows(OutputDirectory).ToDictionary(r => r.SampleId, StringComparer.Ordinal);
        Findings = FindingsRun.Read(OutputDirectory).ToDictionary(f => f.SampleId, StringComparer.Ordinal);
        ConfidentLearning = RunPython(dir);
    }

    public string OutputDirectory { get; }

    public AuditOptions Config { get; }

    public IReadOnlyDictionary<string, SampleTruth> Truth { get; }

    public IReadOnlyDictionary<string, ReportRow> Rows { get; }

    public IReadOnlyDictionary<string, Finding> Findings { get; }

    public JsonDocument ConfidentLearning { get; }

    /// <summary>Flips the model predicts back to their original class: what it can see.</summary>
    public IReadOnlyList<string> VisibleFlips => Truth.Where(t => t.Value.Flipped && Rows[t.Key].PredLabel == t.Value.Original).Select(t => t.Key).ToList();

    public IReadOnlyList<string> Flips => Truth.Where(t => t.Value.Flipped).Select(t => t.Key).ToList();

    public IReadOnlyList<string> Traps => Truth.Where(t => t.Value.Group != "clean").Select(t => t.Key).ToList();

    public IReadOnlyList<string> Of(string kind) => Findings.Values.Where(f => f.Kind == kind).Select(f => f.SampleId).ToList();

    /// <summary>Precision (flipped among those called), recall of the visible flips, and their F1.</summary>
    public Score ScoreOf(IReadOnlyCollection<string> called)
    {
        int hits = called.Count(id => Truth[id].Flipped);
        double precision = called.Count == 0 ? 0 : (double)hits / called.Count;
        var visible = VisibleFlips;
        double recall = (double)visible.Count(called.Contains) / visible.Count;
        return new Score(called.Count, precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall),
            Traps.Count(called.Contains));
    }

    private JsonDocument RunPython(string dir)
    {
        string csv = Path.Combine(dir, "probabilities.csv");
        using (var w = new StreamWriter(csv))
        {
            w.WriteLine("sample_id,given,pred,p_pred,p_given,on_object");
            foreach (ReportRow r in Rows.Values.OrderBy(r => r.Row))
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.SampleId},{r.TrueLabel},{r.PredLabel},{r.Confidence:R},{r.TrueProb:R},{(r.OffObject is bool off ? (off ? "0" : "1") : "")}"));
            }
        }
        string script = Path.Combine(TestPaths.RepoRoot, "tests", "GradCamAudit.Tests", "Findings", "confident_learning.py");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { script, csv, DemoDataset.Classes.Count.ToString(CultureInfo.InvariantCulture), "3.0" })
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"confident_learning.py failed ({p.ExitCode}): {stderr.Result}");
        }
        return JsonDocument.Parse(stdout);
    }

    public sealed record SampleTruth(string Group, bool Flipped, int Original);

    public sealed record Score(int Called, double Precision, double Recall, double F1, int Traps)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"called {Called}, precision {Precision:0.000}, recall {Recall:0.000}, F1 {F1:0.000}, traps {Traps}");
    }
}
