using System.Globalization;
using GradCamAudit.Cli;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

/// <summary>Reports that Scriban's default limits would cut or stop: many classes, many pass-through columns; templates checked at start.</summary>
[Collection(TorchCollection.Name)]
public sealed class ReportCompletenessTests
{
    [Theory]
    [InlineData(100)] // a table of every cell
    [InlineData(40)] // the default: above 40 classes, a heat map and the top confusions
    public async Task FiftyClassModel_RendersTheWholeConfusionMatrix(int confusionMaxClasses)
    {
        string dir = TestPaths.NewTempDir("fifty");
        string[] classes = Enumerable.Range(0, 50).Select(i => i < 4 ? TestDatasets.DemoClasses[i] : string.Create(CultureInfo.InvariantCulture, $"class-{i:D2}")).ToArray();
        string weights = Path.Combine(dir, "cnn50.bin");
        Torch.Initialise();
        TorchSharp.torch.manual_seed(7);
        using (var cnn = new DemoCnn(50))
        {
            cnn.save(weights);
        }
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 60), classes, weights, report: $"\"confusionMaxClasses\": {confusionMaxClasses}");
        RunManifest run = await AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(null, false), _ => { });

        string html = File.ReadAllText(Path.Combine(dir, "out", "report.html"));
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(RunStatus.Complete, run.Status);
        string matrix = html[html.IndexOf("<section id=\"confusion\">", StringComparison.Ordinal)..html.IndexOf("<section id=\"flagged\">", StringComparison.Ordinal)];
        if (confusionMaxClasses >= 50)
        {
            Assert.Equal(50 * 50, Occurrences(matrix, " style=\"background: rgba("));
            Assert.Contains("class-49", matrix, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(0, Occurrences(matrix, " style=\"background: rgba("));
            Assert.Equal(1, Occurrences(matrix, "<img class=\"heatmap\" alt=\"confusion heat map\" src=\"data:image/png;base64,"));
            long confusions = Convert.ToInt64(Pipeline.Duck.Query($"SELECT count(DISTINCT (true_label, pred_label)) AS n FROM {Pipeline.Duck.Results(Path.Combine(dir, "out"))} WHERE true_label <> pred_label")[0]["n"]);
            Assert.Equal(Math.Min(20, confusions), Occurrences(matrix, "<tr><td>"));
        }
        Assert.Contains("<section id=\"errors\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThirtyPassThroughColumns_AppearOnEveryCard()
    {
        string dir = TestPaths.NewTempDir("wide");
        string manifest = TestDatasets.DemoSubset(dir, 250, extraColumns: 30);
        RunManifest run = await AuditRunner.RunAsync(AuditConfig.Load(TestDatasets.Config(dir, manifest)), new RunRequest(null, false), _ => { });

        string html = File.ReadAllText(Path.Combine(dir, "out", "report.html"));
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);
        int cards = Occurrences(html, "<div class=\"card\"");
        Assert.True(cards >= 40, $"the demo slice should fill the flagged gallery, found {cards} cards");
        Assert.Equal(cards, Occurrences(html, "extra_29=value 29 of row"));
        Assert.Equal(cards * 32, Occurrences(html, "=value ") + (cards * 2)); // 30 columns per card, none dropped
        Assert.Equal(250, run.Counts.ManifestRows);
    }

    [Fact]
    public async Task PageOverScribansDefaultMebibyte_IsWrittenWhole()
    {
        // A gallery cap high enough for every flagged card: the page passes the 1,048,576 characters Scriban cuts at by default.
        string dir = TestPaths.NewTempDir("bigpage");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 340), report: "\"galleryMax\": 1000");
        RunManifest run = await AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(null, false), _ => { });
        string html = File.ReadAllText(Path.Combine(dir, "out", "report.html"));
        Assert.True(html.Length > 1_048_576, $"the page should pass 1 MiB, is {html.Length:N0} characters");
        Assert.EndsWith("</html>", html.TrimEnd(), StringComparison.Ordinal);
        long flagged = Convert.ToInt64(Pipeline.Duck.Query($"SELECT count(*) FILTER (WHERE flagged) AS n FROM {Pipeline.Duck.Results(Path.Combine(dir, "out"))}")[0]["n"]);
        string gallery = html[html.IndexOf("<section id=\"flagged\">", StringComparison.Ordinal)..html.IndexOf("<section id=\"rfwr\">", StringComparison.Ordinal)];
        Assert.Equal(flagged, Occurrences(gallery, "<div class=\"card\""));
        Assert.Equal(RunStatus.Complete, run.Status);
    }

    [Fact]
    public async Task MapsOnly_KeepsTheDatasetsImagesOutOfThePage()
    {
        string dir = TestPaths.NewTempDir("mapsonly");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 250), report: "\"images\": \"maps-only\"");
        await AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(null, false), _ => { });
        string html = File.ReadAllText(Path.Combine(dir, "out", "report.html"));
        int cards = Occurrences(html, "<div class=\"card\"");
        Assert.True(cards > 0);
        string galleries = html[html.IndexOf("<section id=\"flagged\">", StringComparison.Ordinal)..];
        Assert.Equal(2 * cards, Occurrences(galleries, "src=\"data:image/jpeg;base64,")); // the two maps, not the image
        Assert.Equal(cards, Occurrences(html, "image not shown"));
        Assert.DoesNotContain(dir, html, StringComparison.Ordinal); // no server paths
    }

    [Fact]
    public async Task TemplateFailingAtRenderTime_FailsTheAuditAtStart_BeforeTheModelLoads()
    {
        string dir = TestPaths.NewTempDir("tpl-start");
        string templates = Path.Combine(dir, "templates");
        Directory.CreateDirectory(templates);
        File.WriteAllText(Path.Combine(templates, ReportBuilder.TemplateName), "<html>\n{{ headline.samples }}\n{{ no_such_variable }}\n</html>");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 4), weights: Path.Combine(dir, "not-yet-checked.bin"));
        File.WriteAllBytes(Path.Combine(dir, "not-yet-checked.bin"), [1, 2, 3]);
        var ex = await Assert.ThrowsAsync<ConfigException>(() => AuditRunner.RunAsync(AuditConfig.Load(config), new RunRequest(null, false, TemplateDirectory: templates), _ => { }));
        Assert.Contains(Path.Combine(templates, ReportBuilder.TemplateName), ex.Message, StringComparison.Ordinal);
        Assert.Contains("(3,", ex.Message, StringComparison.Ordinal); // line 3 of the template
        Assert.DoesNotContain("weights", ex.Message, StringComparison.OrdinalIgnoreCase); // failed before the (broken) weights were read
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "nothing is written before validation passes");
    }

    [Fact]
    public async Task TemplatesFolderWithoutReportSbn_IsAnError_NotASilentFallback()
    {
        string dir = TestPaths.NewTempDir("tpl-missing");
        string config = TestDatasets.Config(dir, TestDatasets.DemoSubset(dir, 4));
        string empty = Path.Combine(dir, "empty-templates");
        Directory.CreateDirectory(empty);
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--templates", empty]));
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config]));
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["report", "--run", Path.Combine(dir, "out"), "--templates", empty]));
        Assert.Throws<ConfigException>(() => ReportBuilder.LoadTemplate(empty));
    }

    [Fact]
    public void OutputPastTheBudget_Throws_InsteadOfTruncating()
    {
        long saved = ReportBuilder.OutputBudgetChars;
        try
        {
            ReportBuilder.OutputBudgetChars = 2_000;
            using var sink = new MemoryStream();
            var ex = Assert.Throws<BudgetExceededException>(() => ReportBuilder.RenderTo(ReportBuilder.LoadTemplate(null), ReportSamples.Synthetic(), sink));
            Assert.Contains("output budget", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            ReportBuilder.OutputBudgetChars = saved;
        }
    }

    private static int Occurrences(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }
}
