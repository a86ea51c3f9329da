using System.Diagnostics;
using Xunit;

namespace GradCamAudit.Tests.Modeling;

/// <summary>The export helper's refusals, through its command line: exit codes and one-line reasons, no traceback.</summary>
public sealed class ExportHelperTests
{
    private static (int Code, string Error) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ExportFixtures.Helper);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, error.Result);
    }

    [Fact]
    public void CutInsideAResidualBlock_IsRefused_NamingTheValueThatCrossesIt()
    {
        string dir = TestPaths.NewTempDir("export-refused");
        (int code, string error) = Run("--model", "resnet18", "--kwargs", "{\"num_classes\": 3}", "--size", "32", "--output-dir", dir, "--cut", "layer4.0.conv2");
        Assert.Equal(1, code);
        Assert.Contains("'layer4.0.conv2' is not a block boundary", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Traceback", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(dir));
    }

    [Fact]
    public void UnknownModelOrModule_IsAnArgumentError()
    {
        string dir = TestPaths.NewTempDir("export-args");
        Assert.Equal(2, Run("--model", "no_such_net", "--output-dir", dir).Code);
        (int code, string error) = Run("--model", "resnet18", "--size", "32", "--output-dir", dir, "--cut", "layer9");
        Assert.Equal(2, code);
        Assert.Contains("no module 'layer9'", error, StringComparison.Ordinal);
    }
}
