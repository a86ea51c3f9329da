using System.Text.Json;
using GradCamAudit.Data;
using GradCamAudit.Options;
using GradCamAudit.Tests.Modeling;
using Xunit;

namespace GradCamAudit.Tests.Data;

/// <summary>Our SkiaSharp preprocessing against torchvision's transforms on the same PNG (fixture written by python3-torchvision).</summary>
[Collection(TorchCollection.Name)]
public sealed class PreprocessTests(ModelFixtures fixtures) : IClassFixture<ModelFixtures>
{
    private static byte[] Expected(JsonElement root, string name) => root.GetProperty(name).EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();

    [Fact]
    public void ShorterSideResizeAndCentreCrop_MatchesTorchvision()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_("preprocess.json")));
        var decoder = new ImageDecoder(112, 112, new PreprocessOptions("shorter-side-crop", 128, "bilinear", 255f, Antialias: false));
        Assert.Equal((170, 128), decoder.ResizedSize(200, 150));
        byte[] ours = decoder.DecodeImage(fixtures.File_("preprocess.png"));
        byte[] theirs = Expected(doc.RootElement, "crop");
        Assert.Equal(theirs.Length, ours.Length);
        double meanAbs = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Average();
        int worst = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        // Same geometry and filter: only rounding differs. A crop offset of one pixel would give a mean error of several levels.
        Assert.True(meanAbs < 0.6, $"mean abs difference {meanAbs:F3}");
        Assert.True(worst <= 3, $"max abs difference {worst}");
    }

    [Fact]
    public void CropOffByOnePixel_WouldBeCaught()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_("preprocess.json")));
        var shifted = new ImageDecoder(112, 112, new PreprocessOptions("shorter-side-crop", 129, "bilinear", 255f, Antialias: false));
        byte[] ours = shifted.DecodeImage(fixtures.File_("preprocess.png"));
        double meanAbs = ours.Zip(Expected(doc.RootElement, "crop"), (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbs > 2, $"a different geometry should differ clearly, got {meanAbs:F3}");
    }

    [Fact]
    public void DirectNearestResize_MatchesTorchvisionNearestExact()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(fixtures.File_("preprocess.json")));
        var decoder = new ImageDecoder(112, 112, new PreprocessOptions("direct", 0, "nearest", 255f));
        byte[] ours = decoder.DecodeImage(fixtures.File_("preprocess.png"));
        byte[] theirs = Expected(doc.RootElement, "nearest");
        // Skia's nearest samples pixel centres, as PIL and torchvision's NEAREST_EXACT do (torch's legacy "nearest"
        // floors dst*scale instead and would disagree on about half the pixels of this image).
        double agree = ours.Zip(theirs, (a, b) => a == b ? 1.0 : 0.0).Average();
        Assert.True(agree > 0.99, $"only {agree:P1} of values agree");
    }
}
