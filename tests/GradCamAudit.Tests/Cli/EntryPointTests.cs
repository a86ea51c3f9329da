using System.Diagnostics;
using GradCamAudit.Cli;
using Xunit;

namespace GradCamAudit.Tests.Cli;

/// <summary>The shipped entry points, run as a user would: run.ps1 under PowerShell 7, and the report in headless chromium.</summary>
[Collection(TorchCollection.Name)]
public sealed class EntryPointTests
{
    private static (int Code, string Output, string Stdout) Run(string file, IEnumerable<string> args, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = TestPaths.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // dotnet test sets MSBuild variables for its own build; the nested 'dotnet run' must not inherit them.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_HOST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(key);
        }
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result, stdout.Result);
    }

    [Fact]
    public void RunPs1_UnderPowerShell7_AuditsAndReports()
    {
        string output = TestPaths.NewTempDir("ps1");
        (int code, string log, _) = Run("dotnet", ["pwsh", "-NoProfile", "-File", "run.ps1", "-Output", output, "-Limit", "12", "-Overwrite"], 600);
        Assert.True(code == 0, log);
        Assert.True(File.Exists(Path.Combine(output, "report.html")), log);
        Assert.True(File.Exists(Path.Combine(output, "results", "part-00000.parquet")), log);

        (code, log, _) = Run("dotnet", ["pwsh", "-NoProfile", "-File", "run.ps1", "-Config", "configs/demo.json", "-Output", output, "-Limit", "12"], 600);
        Assert.True(code == 2, "a non-empty output folder without -Overwrite must exit 2: " + log);
    }

    [Fact]
    public void LogFormatJson_WritesOneJsonObjectPerLine_AndFailuresToo()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "gradcam-audit.dll");
        string output = TestPaths.NewTempDir("jsonlog");
        (int code, string log, _) = Run("dotnet", [cli, "audit", "--config", Path.Combine(TestPaths.Configs, "demo.json"), "--output", output, "--overwrite", "--limit", "8", "--log-format", "json"], 300);
        Assert.True(code == 0, log);
        string[] lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (string line in lines)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            Assert.True(doc.RootElement.TryGetProperty("LogLevel", out _), line);
        }
        Assert.Contains(lines, l => l.Contains("\"Audited\":8", StringComparison.Ordinal));

        (code, log, _) = Run("dotnet", [cli, "audit", "--config", Path.Combine(TestPaths.Configs, "demo.json"), "--output", output, "--log-format", "json"], 300);
        Assert.Equal(Commands.UsageError, code);
        string error = Assert.Single(log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var e = System.Text.Json.JsonDocument.Parse(error);
        Assert.Equal("Error", e.RootElement.GetProperty("LogLevel").GetString());

        (code, log, _) = Run("dotnet", [cli, "audit", "--config", Path.Combine(TestPaths.Configs, "demo.json"), "--output", output, "--overwrite", "--limit", "8", "--quiet"], 300);
        Assert.Equal(0, code);
        Assert.DoesNotContain("info:", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_RendersInHeadlessChromium()
    {
        string output = TestPaths.NewTempDir("browser");
        Assert.Equal(0, await Commands.Build().ParseAndRunAsync(["audit", "--config", Path.Combine(TestPaths.Configs, "demo.json"), "--output", output, "--overwrite"]));
        string report = Path.Combine(output, "report.html");
        string profile = TestPaths.NewTempDir("chromium-profile");
        string[] common =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
        ];
        (int code, _, string dom) = Run("chromium", [.. common, "--dump-dom", "file://" + report], 120);
        Assert.Equal(0, code);
        Assert.Contains("id=\"flagged-gallery\"", dom, StringComparison.Ordinal);
        Assert.Contains("as 'triangle'", dom, StringComparison.Ordinal);
        Assert.Contains("as 'square'", dom, StringComparison.Ordinal);
        // The browser parsed the whole page: every section, the last script, the closing tags.
        foreach (string section in new[] { "headline", "findings", "lift", "classes", "mean-maps", "confusion", "gallery-filters", "flagged", "rfwr", "label-errors", "errors" })
        {
            Assert.Contains($"<section id=\"{section}\">", dom, StringComparison.Ordinal);
        }
        Assert.EndsWith("</html>", dom.TrimEnd(), StringComparison.Ordinal);
        string html = File.ReadAllText(report);
        // The findings section as the browser parsed it: one row per class with its intervention figures, the ranked
        // tables per kind with their evidence, the counts equal to findings.json's.
        using var findingsJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "findings.json")));
        int shortcuts = findingsJson.RootElement.GetProperty("counts").GetProperty("shortcut").GetInt32();
        Assert.Contains($"<div class=\"v\">{shortcuts}</div>Shortcuts", dom, StringComparison.Ordinal);
        Assert.Contains("<th>core accuracy</th>", dom, StringComparison.Ordinal);
        Assert.Equal(4 + 1, dom.Split("id=\"findings-classes\"")[1].Split("</table>")[0].Split("<tr>").Length - 1); // header + 4 classes
        Assert.Contains($"Intervention: {shortcuts} of the {shortcuts} intervened on are confirmed.", dom, StringComparison.Ordinal);
        Assert.Contains("<table class=\"findings\" data-kind=\"shortcut\">", dom, StringComparison.Ordinal);
        Assert.Contains("(confirmed)</td>", dom, StringComparison.Ordinal);
        int cards = html.Split("<div class=\"card\"").Length - 1;
        Assert.Equal(cards, dom.Split("<div class=\"card\"").Length - 1);
        int meanMaps = html.Split("<img alt=\"mean map").Length - 1; // three per class, where a class has samples
        Assert.InRange(meanMaps, 4, 12);
        int strategyImages = html.Split("<img alt=\"strategy ").Length - 1 + html.Split("<img alt=\"exemplar ").Length - 1; // the strategies section: a mean map and exemplars per strategy
        Assert.InRange(strategyImages, 2, 200);
        Assert.Equal((3 * cards) + meanMaps + strategyImages, dom.Split("src=\"data:image/jpeg;base64,").Length - 1);

        string shot = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png");
        File.Delete(shot);
        (code, string log, _) = Run("chromium", [.. common, "--window-size=1400,2400", "--screenshot=" + shot, "file://" + report], 120);
        Assert.True(code == 0, log);
        Assert.True(new FileInfo(shot).Length > 50_000, "the screenshot should hold a rendered page");
    }
}
