using System.Text.Json;
using GradCamAudit.Data;
using GradCamAudit.Explain;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Data;

/// <summary>
/// Runs fixtures/antialias/make_antialias_fixtures.py once (Debian's python3-torchvision and PIL), keyed by the
/// script's hash: two synthetic JPEG photos (640x480 and 3000x2250), torchvision's evaluation transform on the PIL
/// image and on the tensor with antialias=False, and a seeded resnet18's probabilities on the PIL path.
/// </summary>
public sealed class AntialiasFixtures
{
    public AntialiasFixtures() => Directory = PythonFixtures.Make(Path.Combine(TestPaths.Fixtures, "antialias", "make_antialias_fixtures.py"), "gca-antialias-fixtures");

    public string Directory { get; }

    public string File_(string name) => Path.Combine(Directory, name);
}

/// <summary>
/// The antialiased resize (<see cref="AntialiasResampler"/>, the default) against PIL's, through torchvision's
/// standard evaluation transform (Resize(256) then CenterCrop(224)) on JPEG photos at native and phone size, JPEG
/// decoding included; and the probabilities of a seeded resnet18 on both within 1e-3.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class AntialiasTests(AntialiasFixtures fixtures, ITestOutputHelper output) : IClassFixture<AntialiasFixtures>
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private static ImageDecoder Decoder(string filter, bool antialias) =>
        new(224, 224, new PreprocessOptions("shorter-side-crop", 256, filter, 255f, antialias));

    private static (double Mean, int Max) Difference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return (a.Zip(b, (x, y) => Math.Abs(x - y)).Average(), a.Zip(b, (x, y) => Math.Abs(x - y)).Max());
    }

    [Theory]
    [InlineData("native", "bilinear")]
    [InlineData("native", "bicubic")]
    [InlineData("phone", "bilinear")]
    [InlineData("phone", "bicubic")]
    public void ShorterSideCrop_Antialiased_MatchesPil_AndThePlainResizeDoesNot(string image, string filter)
    {
        byte[] pil = File.ReadAllBytes(fixtures.File_($"{image}_{filter}_pil.bin"));
        byte[] ours = Decoder(filter, antialias: true).DecodeImage(fixtures.File_(image + ".jpg"));
        (double mean, int max) = Difference(ours, pil);
        byte[] plain = Decoder(filter, antialias: false).DecodeImage(fixtures.File_(image + ".jpg"));
        (double plainMean, _) = Difference(plain, pil);
        (double noAaMean, int noAaMax) = Difference(plain, File.ReadAllBytes(fixtures.File_($"{image}_{filter}_tensor_noaa.bin")));
        output.WriteLine($"{image}/{filter}: antialiased vs PIL mean {mean:F3} max {max}; plain vs PIL mean {plainMean:F3}; plain vs tensor antialias=False mean {noAaMean:F3} max {noAaMax}");
        // Same filter, support and fixed-point rounding as Pillow, and both decode with libjpeg-turbo: measured
        // bit-identical; a level of slack for a decoder's last bit.
        Assert.True(mean < 0.05, $"mean abs difference {mean:F3}");
        Assert.True(max <= 1, $"max abs difference {max}");
        // The plain resize aliases the fine stripes: far from PIL, which is what the option is for.
        Assert.True(plainMean > 2, $"plain resize only {plainMean:F3} from PIL");
    }

    [Theory]
    [InlineData("native", "bilinear")]
    [InlineData("phone", "bilinear")]
    [InlineData("phone", "bicubic")]
    public void Probabilities_OnTheAntialiasedCrop_EqualPyTorchOnPil(string image, string filter)
    {
        float[] expected = JsonDocument.Parse(File.ReadAllText(fixtures.File_($"{image}_{filter}_probs.json"))).RootElement.GetProperty("probs")
            .EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var options = new ModelOptions("resnet18", fixtures.File_("resnet18.pt"), "auto", null, 10, 224, 224, "layer4", Mean, Std, PreprocessOptions.Default);
        using LoadedModel model = LoadedModel.Load(options, CPU);
        using var explainer = new GradCamExplainer(model);
        double Worst(bool antialias)
        {
            using var scope = NewDisposeScope();
            byte[] hwc = Decoder(filter, antialias).DecodeImage(fixtures.File_(image + ".jpg"));
            Tensor x = tensor(hwc, [224, 224, 3]).to(float32).div(255f).permute(2, 0, 1);
            x = x.sub(tensor(Mean).view(3, 1, 1)).div(tensor(Std).view(3, 1, 1)).unsqueeze(0);
            float[] probs = explainer.Logits(x).softmax(1).data<float>().ToArray();
            return probs.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        }
        double ours = Worst(antialias: true), plain = Worst(antialias: false);
        output.WriteLine($"{image}/{filter}: max |p - p_pil| antialiased {ours:E2}, plain {plain:E2}");
        Assert.True(ours < 1e-3, $"probabilities differ by {ours:E2}");
    }

    [Fact]
    public void Coefficients_OfAHalvingBilinear_AreTheFourTapTriangle()
    {
        // Downscale by 2: the triangle widened to 2 source pixels. Output 1 (centre 3) takes pixels 1..4 at distances
        // 1.5, 0.5, 0.5, 1.5, weights 1 - d/2 = 1/4, 3/4, 3/4, 1/4, normalised to 1/8, 3/8, 3/8, 1/8. Output 0 (centre 1)
        // is clipped at the border to pixels 0..2 (3/4, 3/4, 1/4, normalised by 7/4), as Pillow's.
        (int[] first, int[][] weights) = AntialiasResampler.Coefficients(8, 4, x => Math.Abs(x) < 1 ? 1 - Math.Abs(x) : 0, 1.0);
        Assert.Equal([0, 1, 3, 5], first);
        double one = 1 << 22;
        Assert.Equal([0.428571, 0.428571, 0.142857], weights[0].Select(w => Math.Round(w / one, 6)));
        Assert.Equal([0.125, 0.375, 0.375, 0.125], weights[1].Select(w => Math.Round(w / one, 6)));
        Assert.Equal([0.142857, 0.428571, 0.428571], weights[3].Select(w => Math.Round(w / one, 6)));
    }
}
