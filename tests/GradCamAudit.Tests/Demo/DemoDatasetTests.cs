using GradCamAudit.Data;
using GradCamAudit.Demo;
using GradCamAudit.Scoring;
using Xunit;

namespace GradCamAudit.Tests.Demo;

public sealed class DemoDatasetTests
{
    [Fact]
    public void Regenerated_AuditSplit_IsPixelIdenticalToTheCommittedOne()
    {
        string dir = TestPaths.NewTempDir("demo-data");
        int n = DemoDataset.WriteAuditSplit(dir);
        string committed = Path.Combine(TestPaths.Configs, "demo");
        Assert.Equal(File.ReadAllText(Path.Combine(committed, "manifest.csv")), File.ReadAllText(Path.Combine(dir, "manifest.csv")));
        var decoder = new ImageDecoder(DemoDataset.Size, DemoDataset.Size);
        foreach (string file in Directory.EnumerateFiles(Path.Combine(dir, "images")))
        {
            string name = Path.GetFileName(file);
            Assert.Equal(decoder.DecodeImage(Path.Combine(committed, "images", name)), decoder.DecodeImage(file));
            Assert.Equal(decoder.DecodeMask(Path.Combine(committed, "masks", name)), decoder.DecodeMask(Path.Combine(dir, "masks", name)));
        }
        Assert.Equal(340, n);
    }

    [Fact]
    public void TrainingSplit_PlantsTheShortcut_OnlyOnTheShortcutClass()
    {
        var samples = DemoDataset.TrainingSplit(200).ToList();
        var shortcut = samples.Where(s => s.Label == DemoDataset.ShortcutIndex).ToList();
        Assert.True(shortcut.Count(s => s.Marker) >= 0.9 * shortcut.Count);
        Assert.DoesNotContain(samples, s => s.Label != DemoDataset.ShortcutIndex && s.Marker);
    }

    [Fact]
    public void Masks_AreExact_AndClearOfTheMarker()
    {
        var rng = new SplitMix64(5);
        for (int i = 0; i < 40; i++)
        {
            DemoSample s = DemoDataset.Draw(rng, i % 4, marker: true);
            Assert.True(s.Mask.Count(v => v == 1) > 20);
            for (int y = DemoDataset.MarkerY; y < DemoDataset.MarkerY + DemoDataset.MarkerSize; y++)
            {
                for (int x = DemoDataset.MarkerX; x < DemoDataset.MarkerX + DemoDataset.MarkerSize; x++)
                {
                    Assert.Equal(0, s.Mask[(y * DemoDataset.Size) + x]);
                }
            }
        }
    }
}
