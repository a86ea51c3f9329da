using System.Globalization;
using GradCamAudit.Cli;
using GradCamAudit.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>
/// The demo audited twice: with its own masks and with the bounding box of each mask (src/GradCamAudit/Data/MASKS.md's
/// table). A box holds background, so lifts fall; the shortcut traps must stay flagged all the same.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DemoBoxesTests(ITestOutputHelper output)
{
    private sealed record Figures(double CleanLift, double TrapLift, double TextureLift, long TrapsFlagged, long TexturesFlagged, long CleanOffObject, long Traps, long Textures, double CleanFraction, double CleanEnergy);

    private static async Task<Figures> AuditAsync(string dir, string manifest)
    {
        string config = TestDatasets.Config(dir, manifest);
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--overwrite"]));
        string results = Duck.Results(Path.Combine(dir, "out"));
        var rows = Duck.Query($"""
            SELECT "group" AS g, avg(pred_energy_lift) AS lift, count(*) FILTER (WHERE flagged) AS flagged, count(*) AS n,
              count(*) FILTER (WHERE off_object) AS off, avg(mask_fraction) AS fraction, avg(pred_energy_in_mask) AS energy
            FROM {results} GROUP BY "group"
            """).ToDictionary(r => (string)r["g"]!, StringComparer.Ordinal);
        double L(string g) => Convert.ToDouble(rows[g]["lift"], CultureInfo.InvariantCulture);
        long N(string g, string c) => Convert.ToInt64(rows[g][c], CultureInfo.InvariantCulture);
        return new Figures(L("clean"), L("trap"), L("texture-trap"), N("trap", "flagged"), N("texture-trap", "flagged"), N("clean", "off"), N("trap", "n"), N("texture-trap", "n"),
            Convert.ToDouble(rows["clean"]["fraction"], CultureInfo.InvariantCulture), Convert.ToDouble(rows["clean"]["energy"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Demo_BoxesFromItsMasks_LowerTheLifts_AndKeepTheTrapsFlagged()
    {
        string dir = TestPaths.NewTempDir("demo-boxes");
        BoxFixtureSet set = BoxFixtures.Write(dir, 340);
        Figures masks = await AuditAsync(Directory.CreateDirectory(Path.Combine(dir, "masks")).FullName, set.MaskManifest);
        Figures boxes = await AuditAsync(Directory.CreateDirectory(Path.Combine(dir, "boxes")).FullName, set.BoxManifest);
        foreach ((string name, Figures f) in new[] { ("masks", masks), ("boxes", boxes) })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {f.CleanFraction:F3} | {f.CleanEnergy:F3} | {f.CleanLift:F2} | {f.TrapLift:F2} | {f.TextureLift:F2} | {f.TrapsFlagged} of {f.Traps} | {f.TexturesFlagged} of {f.Textures} | {f.CleanOffObject} |"));
        }
        Assert.True(boxes.CleanLift < masks.CleanLift, "a box holds background: the clean samples' lift cannot rise");
        Assert.True(boxes.CleanLift > 1.25, "on boxes the clean samples must still read as on the object");
        Assert.True(boxes.CleanFraction > masks.CleanFraction, "a bounding box is at least its mask");
        Assert.True(boxes.TrapsFlagged + boxes.TexturesFlagged >= 0.9 * (masks.TrapsFlagged + masks.TexturesFlagged), "boxes lost the shortcut traps");
    }
}
