using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Results;

namespace GradCamAudit.Tests.Pipeline;

/// <summary>Runs the embedded demo audit once (committed weights, committed data) for the end-to-end tests.</summary>
public sealed class DemoRunFixture
{
    public DemoRunFixture()
    {
        OutputDirectory = TestPaths.NewTempDir("demo");
        Options = AuditConfig.Load(Path.Combine(TestPaths.Configs, "demo.json"), OutputDirectory);
        Run = AuditRunner.RunAsync(Options, new RunRequest(null, Overwrite: true), _ => { }).GetAwaiter().GetResult();
        ReportPath = Path.Combine(OutputDirectory, "report.html"); // the report the audit itself wrote as its last step
    }

    public string OutputDirectory { get; }

    public AuditOptions Options { get; }

    public RunManifest Run { get; }

    public string ReportPath { get; }
}
