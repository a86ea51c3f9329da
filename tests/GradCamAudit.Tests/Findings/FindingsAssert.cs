using GradCamAudit.Findings;
using Xunit;

namespace GradCamAudit.Tests.Findings;

/// <summary>Two run folders hold the same findings: every sample's kind and reason equal, scores and class statistics within 1e-5.</summary>
public static class FindingsAssert
{
    public static void Same(string expectedRun, string actualRun)
    {
        var expected = FindingsRun.Read(expectedRun).OrderBy(f => f.SampleId, StringComparer.Ordinal).ToList();
        var actual = FindingsRun.Read(actualRun).OrderBy(f => f.SampleId, StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(f => (f.SampleId, f.Row, f.Kind, f.Reason, f.Evidence)), actual.Select(f => (f.SampleId, f.Row, f.Kind, f.Reason, f.Evidence)));
        for (int i = 0; i < expected.Count; i++)
        {
            Close(expected[i].Score, actual[i].Score);
            Close(expected[i].GivenThreshold, actual[i].GivenThreshold);
            Close(expected[i].GivenOutlierCut, actual[i].GivenOutlierCut);
            Close(expected[i].PredThreshold, actual[i].PredThreshold);
        }
    }

    private static void Close(double? a, double? b)
    {
        Assert.Equal(a.HasValue, b.HasValue);
        if (a is double x && b is double y)
        {
            Assert.Equal(x, y, 1e-5);
        }
    }
}
