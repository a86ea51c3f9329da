using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Xunit;

namespace GradCamAudit.Tests.Reporting;

public sealed class MeanMapsTests
{
    private static ReportRow Row(int trueLabel, int predLabel, bool flagged) => new() { TrueLabel = trueLabel, PredLabel = predLabel, Flagged = flagged, CamHeight = 2, CamWidth = 2 };

    [Fact]
    public void Means_OfMinMaxNormalisedMaps_ByTrueFlaggedAndPredicted_HandComputed()
    {
        var maps = new MeanMaps(2, 2, 2, auditedRows: 3);
        maps.Add(Row(0, 0, flagged: false), [0, 1, 2, 3]); // normalised 0, 1/3, 2/3, 1
        maps.Add(Row(0, 1, flagged: true), [0, 2, 0, 2]); // normalised 0, 1, 0, 1
        maps.Add(Row(0, 0, flagged: false), [3, 3, 3, 3]); // constant: no normalised form, left out
        maps.Add(Row(1, 1, flagged: false), [1, 2]); // wrong size: left out
        Assert.Equal(2, maps.RowsUsed);
        float[] byTrue = maps.Mean("true", 0)!;
        Assert.Equal([0f, 2f / 3, 1f / 3, 1f], byTrue.Select(v => (float)Math.Round(v, 6)).ToArray(), new FloatComparer());
        Assert.Equal([0f, 1f, 0f, 1f], maps.Mean("flagged", 0)!);
        Assert.Equal([0f, 1f, 0f, 1f], maps.Mean("pred", 1)!);
        Assert.Null(maps.Mean("true", 1));
        Assert.Equal((2L, 1L, 1L), (maps.Count("true", 0), maps.Count("flagged", 0), maps.Count("pred", 0)));

        MeanMaps restored = MeanMaps.FromState(maps.ToState());
        Assert.Equal(byTrue, restored.Mean("true", 0));
        Assert.Equal(1L, restored.Count("flagged", 0));
    }

    [Fact]
    public void Sampling_ExactForTheAudit_ASpreadShareOfRowGroupsWhenRecomputed()
    {
        Assert.Equal(1.0, new MeanMaps(2, 2, 2, 1_000_000, exact: true).Fraction);
        var sampled = new MeanMaps(2, 2, 2, 1_000_000);
        Assert.Equal(0.05, sampled.Fraction, 12);
        long[] taken = Enumerable.Range(0, 100).Where(c => sampled.Takes(c)).Select(c => (long)c).ToArray();
        Assert.Equal([19L, 39, 59, 79, 99], taken); // one in twenty, spread over the run
        Assert.True(Enumerable.Range(0, 10).All(c => new MeanMaps(2, 2, 2, 50_000).Takes(c)));
    }

    private sealed class FloatComparer : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) < 1e-5;

        public int GetHashCode(float obj) => 0;
    }
}
