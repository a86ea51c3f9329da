using GradCamAudit.Reporting;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

public sealed class ConfidenceChartTests
{
    [Fact]
    public void Bins_CountVerdictsByConfidence_EdgesIncluded_UndefinedLeftOut()
    {
        var chart = new ConfidenceChart();
        chart.Add(0.0f, true);
        chart.Add(0.05f, false);
        chart.Add(0.1f, true); // the lower edge belongs to its bin
        chart.Add(0.95f, true);
        chart.Add(1.0f, false); // 1.0 falls in the last bin
        chart.Add(0.5f, null); // empty mask: no verdict
        chart.Add(null, true);
        chart.Add(float.NaN, true);
        Assert.Equal([2L, 1, 0, 0, 0, 0, 0, 0, 0, 2], chart.Judged);
        Assert.Equal([1L, 1, 0, 0, 0, 0, 0, 0, 0, 1], chart.OffObject);
        string svg = chart.Svg(400, 120);
        Assert.Equal(3, svg.Split("<rect ").Length - 1); // bars only where samples are (0.1-0.2 at 100%)
        Assert.Contains("confidence 0.9-1.0: 1 of 2 off-object (50.0%)", svg, StringComparison.Ordinal);
        Assert.EndsWith("</svg>", svg, StringComparison.Ordinal);
    }
}
