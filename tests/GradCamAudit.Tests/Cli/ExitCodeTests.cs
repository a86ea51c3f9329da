using GradCamAudit.Cli;
using Xunit;

namespace GradCamAudit.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class ExitCodeTests
{
    [Fact]
    public async Task MissingRequiredOption_Exits2()
    {
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit"]));
    }

    [Fact]
    public async Task UnknownVerb_Exits2()
    {
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["frobnicate"]));
    }

    [Fact]
    public async Task InvalidConfig_Exits2()
    {
        string dir = TestPaths.NewTempDir("cli");
        File.WriteAllText(Path.Combine(dir, "c.json"), "{ \"dataset\": {} }");
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", Path.Combine(dir, "c.json")]));
    }

    [Fact]
    public async Task NonEmptyOutputWithoutOverwrite_Exits2_ThenLimitedAuditAndReportExit0()
    {
        string output = TestPaths.NewTempDir("cli-out");
        string config = Path.Combine(TestPaths.Configs, "demo.json");
        File.WriteAllText(Path.Combine(output, "x.txt"), "x");
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", output, "--limit", "8"]));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["audit", "--config", config, "--output", output, "--limit", "8", "--overwrite"]));
        Assert.True(File.Exists(Path.Combine(output, "report.html")));
        File.Delete(Path.Combine(output, "report.html"));
        Assert.Equal(Commands.Ok, await Commands.Build().ParseAndRunAsync(["report", "--run", output]));
        Assert.True(File.Exists(Path.Combine(output, "report.html")));
        Assert.Equal(Commands.UsageError, await Commands.Build().ParseAndRunAsync(["report", "--run", TestPaths.NewTempDir("empty")]));
    }
}
