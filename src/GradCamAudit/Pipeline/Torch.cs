using System.Runtime.InteropServices;
using TorchSharp;

namespace GradCamAudit.Pipeline;

/// <summary>
/// TorchSharp process settings. The intra-op thread count is set on purpose (LibTorch would follow the machine, and
/// float reductions then differ between machines): <c>audit.threads</c>, default the core count. The inter-op count
/// may only be set once, before any parallel work.
/// </summary>
public static class Torch
{
    private static readonly Lazy<bool> Once = new(() =>
    {
        try
        {
            torch.set_num_interop_threads(1);
        }
        catch (ExternalException)
        {
            // Already set by an earlier user of LibTorch in this process: keep its value.
        }
        return true;
    });

    public static void Initialise(int? threads = null)
    {
        _ = Once.Value;
        torch.set_num_threads(threads ?? Math.Max(1, Environment.ProcessorCount));
    }

    /// <summary>
    /// The process's exit: <paramref name="code"/> returned normally, unless a batch is still inside a LibTorch call on
    /// a scoring thread (a stalled batch the watchdog gave up on). Then a normal exit would run LibTorch's static
    /// destructors under that call (a segmentation fault, exit 139, instead of the run's own code), so the process
    /// ends at once with <c>_exit</c> after flushing the console; everything committed is on disk already.
    /// </summary>
    public static int ExitProcess(int code)
    {
        if (ScoringThread.InFlight == 0 || !OperatingSystem.IsLinux())
        {
            return code;
        }
        Console.Out.Flush();
        Console.Error.Flush();
        ImmediateExit(code);
        return code;
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ImmediateExit(int status);
}
