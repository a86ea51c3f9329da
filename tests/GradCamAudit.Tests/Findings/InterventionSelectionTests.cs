using GradCamAudit.Explain;
using GradCamAudit.Explain.Interventions;
using GradCamAudit.Findings;
using Xunit;

namespace GradCamAudit.Tests.Findings;

public sealed class InterventionSelectionTests
{
    private static (int Label, ulong Hash)[] Samples(int count) =>
        Enumerable.Range(0, count).Select(i => (i % 3, SampleSelector.Hash(7, $"s{i}"))).ToArray();

    /// <summary>The per-class bottom-N by hash equals a brute-force sort, and does not depend on the order the rows come in (shards, resumes).</summary>
    [Fact]
    public void ClassSampleSelector_TakesTheNSmallestHashesOfEachClass_InAnyOrder()
    {
        var samples = Samples(100);
        var forward = ClassSampleSelector.Create(5, 4, samples);
        var backward = ClassSampleSelector.Create(5, 4, samples.Reverse());
        for (int label = 0; label < 3; label++)
        {
            var expected = samples.Where(s => s.Label == label).Select(s => s.Hash).Order().Take(5).ToHashSet();
            var taken = samples.Where(s => s.Label == label && forward.Takes(s.Label, s.Hash)).Select(s => s.Hash).ToHashSet();
            Assert.Equal(expected, taken);
            Assert.All(samples.Where(s => s.Label == label), s => Assert.Equal(forward.Takes(s.Label, s.Hash), backward.Takes(s.Label, s.Hash)));
        }
        Assert.False(forward.Takes(3, 0)); // a class without samples takes nothing
        Assert.False(forward.Takes(9, 0)); // nor does an unknown class
    }

    [Fact]
    public void ClassSampleSelector_SmallClassesAreTakenWhole_AndZeroTakesNothing()
    {
        var samples = Samples(12); // 4 per class
        Assert.All(samples, s => Assert.True(ClassSampleSelector.Create(10, 3, samples).Takes(s.Label, s.Hash)));
        Assert.All(samples, s => Assert.False(ClassSampleSelector.Create(0, 3, samples).Takes(s.Label, s.Hash)));
        Assert.Null(InterventionPlan.Create(false, 10, 10, 3, () => throw new InvalidOperationException("the manifest is not read when interventions are off")));
    }

    /// <summary>The evidence rules, one case each way: what a wrong rule (the classes swapped, or the wrong intervention read) breaks.</summary>
    [Theory]
    [InlineData("shortcut", 1, 2, 0, 2, "confirmed")] // background alone keeps the prediction (2)
    [InlineData("shortcut", 1, 2, 1, 0, "confirmed")] // object alone gives the given class (1)
    [InlineData("shortcut", 1, 2, 2, 0, "not_confirmed")] // object alone keeps the prediction, background alone gives a third class
    [InlineData("right_for_wrong_reason", 1, 1, 0, 1, "confirmed")]
    [InlineData("right_for_wrong_reason", 1, 1, 1, 0, "not_confirmed")]
    [InlineData("label_error", 1, 2, 2, 0, "supported")]
    [InlineData("label_error", 1, 2, 1, 2, "not_supported")]
    [InlineData("hard", 1, 2, 2, 2, null)]
    [InlineData("ok", 1, 1, 1, 1, null)]
    public void Evidence_FollowsTheRule(string kind, int given, int pred, int objectOnly, int backgroundOnly, string? expected)
    {
        var r = new FindingInput("s", 0, given, pred, 0.9f, 0.01f, 1.0, true, 8, 8, objectOnly, backgroundOnly);
        Assert.Equal(expected, InterventionEvidence.Of(kind, r));
        Assert.Null(InterventionEvidence.Of(kind, r with { ObjectOnlyPred = null, BackgroundOnlyPred = null }));
    }
}
