namespace GradCamAudit.Results;

/// <summary>
/// Test hook for the crash tests: when the environment variable <c>GRADCAM_AUDIT_PAUSE_AT</c> names a point the run
/// reaches (<c>started</c>, <c>part-written:N</c> — part N fully written under its temporary name, not yet renamed —,
/// <c>part-committed:N</c>, <c>report-written</c>), the process says <c>paused at NAME</c> on stderr and waits
/// there for ever, so a test can SIGKILL it at an exact point instead of after a guessed delay. Unset, it costs a
/// string comparison.
/// </summary>
public static class PausePoints
{
    public const string Variable = "GRADCAM_AUDIT_PAUSE_AT";

    private static readonly string? Target = Environment.GetEnvironmentVariable(Variable);

    public static void Reach(string point)
    {
        if (Target != null && string.Equals(Target, point, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"paused at {point}");
            Console.Error.Flush();
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
