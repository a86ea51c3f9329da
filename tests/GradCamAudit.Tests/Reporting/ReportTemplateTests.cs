using GradCamAudit.Options;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

public sealed class ReportTemplateTests
{
    [Fact]
    public void EmbeddedTemplate_Parses()
    {
        Assert.False(ReportBuilder.LoadTemplate(null).HasErrors);
    }

    [Fact]
    public void BrokenOverride_NamesFileLineAndColumn()
    {
        string dir = TestPaths.NewTempDir("tpl");
        File.WriteAllText(Path.Combine(dir, ReportBuilder.TemplateName), "<h1>ok</h1>\n{{ for x in items }}\n{{ x ");
        var ex = Assert.Throws<ConfigException>(() => ReportBuilder.LoadTemplate(dir));
        Assert.Contains(Path.Combine(dir, ReportBuilder.TemplateName), ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(\d+,\d+\)", ex.Message);
    }

    [Fact]
    public void ClassTable_IgnoresNullsAndCountsFlags()
    {
        var rows = new List<ReportRow>
        {
            new() { TrueLabel = 0, Correct = true, PredEnergyLift = 2.0, TrueEnergyLift = 2.0, OffObject = false, Flagged = false, RightForWrongReason = false },
            new() { TrueLabel = 0, Correct = false, PredEnergyLift = 0.5, TrueEnergyLift = 3.0, OffObject = true, Flagged = true, RightForWrongReason = false },
            new() { TrueLabel = 0, Correct = true, PredEnergyLift = null, TrueEnergyLift = null, OffObject = null, Flagged = null, RightForWrongReason = null },
            new() { TrueLabel = 1, Correct = true, PredEnergyLift = 0.25, TrueEnergyLift = 0.25, OffObject = true, Flagged = false, RightForWrongReason = true },
        };
        var stats = ClassTable.Compute(rows, 3);
        Assert.Equal(3, stats[0].Count);
        Assert.Equal(2.0 / 3.0, stats[0].Accuracy!.Value, 9);
        Assert.Equal(1.25, stats[0].MeanPredLift!.Value, 9); // (2.0 + 0.5) / 2, the null row ignored
        Assert.Equal(2.5, stats[0].MeanTrueLift!.Value, 9);
        Assert.Equal(0.5, stats[0].OffObjectRate!.Value, 9);
        Assert.Equal(1, stats[0].Flagged);
        Assert.Equal(1, stats[1].RightForWrongReason);
        Assert.Equal(0, stats[2].Count);
        Assert.Null(stats[2].MeanPredLift);
    }
}
